import { SnakeNamingStrategy } from 'typeorm-naming-strategies';

/** snake_case tables, columns, join columns and constraint-friendly names, from day one. */
export class PorticoNamingStrategy extends SnakeNamingStrategy {}
