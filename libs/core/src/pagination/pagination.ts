import { applyDecorators, type Type as ClassType } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** Beyond this a list is searched, not paged; a larger offset is a 400 (product.md §4), not a database error. */
export const MAX_OFFSET = 1_000_000;

export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0, maximum: MAX_OFFSET })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_OFFSET)
  offset?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** Documents a list route's answer: a Page of `item`, as every list answers (product.md §10). */
export function ApiPageResponse(item: ClassType<unknown>, description: string): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(item),
    ApiOkResponse({
      description,
      schema: {
        type: 'object',
        required: ['items', 'total', 'limit', 'offset'],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(item) } },
          total: { type: 'integer', description: 'How many there are in all, on every page' },
          limit: { type: 'integer', description: 'The page size asked for (default 50, at most 500)' },
          offset: { type: 'integer', description: 'How many were skipped before this page' },
        },
      },
    }),
  );
}

export function pageWindow(query: PageQueryDto): { take: number; skip: number } {
  return { take: query.limit ?? 50, skip: query.offset ?? 0 };
}

export function toPage<E, T>([rows, total]: [E[], number], query: PageQueryDto, map: (row: E) => T): Page<T> {
  const { take, skip } = pageWindow(query);
  return { items: rows.map(map), total, limit: take, offset: skip };
}

/** A case-insensitive "contains" pattern for `LOWER(col) LIKE :p ${LIKE_ESCAPE}`, with wildcards in the input escaped. */
export function containsPattern(value: string): string {
  return `%${value.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// SQLite has no default LIKE escape character; PostgreSQL's is the same backslash.
export const LIKE_ESCAPE = "ESCAPE '\\'";
