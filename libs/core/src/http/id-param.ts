import { BadRequestException, Param, ParseUUIDPipe, PipeTransform } from '@nestjs/common';

// UUIDs are case-insensitive: PostgreSQL's uuid type matches either case, SQLite compares text.
const lowerCase: PipeTransform<string, string> = { transform: (value) => value.toLowerCase() };

/** A path parameter that must be a UUID; anything else is a 400 that names the parameter. */
export const IdParam = (name = 'id'): ParameterDecorator =>
  Param(name, new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException(`${name} must be a UUID`) }), lowerCase);
