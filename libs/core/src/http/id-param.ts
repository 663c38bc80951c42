import { BadRequestException, Param, ParseUUIDPipe, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';

// UUIDs are case-insensitive: PostgreSQL's uuid type matches either case, SQLite compares text.
const lowerCase: PipeTransform<string, string> = { transform: (value) => value.toLowerCase() };

/**
 * A path parameter that must be a UUID; anything else is a 400 that names the parameter. The API
 * document says so too (format uuid).
 */
export const IdParam =
  (name = 'id'): ParameterDecorator =>
  (target, method, index) => {
    Param(name, new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name} must be a UUID`) }), lowerCase)(
      target,
      method,
      index,
    );
    if (method !== undefined) ApiParam({ name, format: 'uuid' })(target, method, Object.getOwnPropertyDescriptor(target, method)!);
  };
