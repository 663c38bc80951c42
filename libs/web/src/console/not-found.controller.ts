import { Controller, Get, NotFoundException, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ConsoleOnly } from '@portico/core';
import type { Request } from 'express';

/**
 * Any other /console address. Registered last, so it only catches what no console page answers;
 * going through the access guard means a signed-in admin gets the 404 in the console's layout and
 * anyone else the sign-in page first.
 */
@ApiExcludeController()
@ConsoleOnly()
@Controller('console')
export class ConsoleNotFoundController {
  @Get('*path')
  notFound(@Req() req: Request): never {
    throw new NotFoundException(`There is no console page at ${req.path}.`);
  }
}
