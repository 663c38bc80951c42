import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class PageQueryDto {
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
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
