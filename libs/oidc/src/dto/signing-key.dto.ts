import { ApiProperty } from '@nestjs/swagger';

export class SigningKeyView {
  @ApiProperty({ example: 'Hk3wqY2b7l0-8cfKx1O0sUzk6u3m0x0yBvKJq7Xn7e4' }) kid: string;
  @ApiProperty({ enum: ['RS256', 'ES256'] }) alg: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The public JWK, as the JWKS serves it' })
  publicJwk: Record<string, unknown>;
  @ApiProperty() createdAt: Date;
  @ApiProperty({ nullable: true, type: Date, description: 'When a replaced key leaves the JWKS; null while it signs' })
  retiresAt: Date | null;
  @ApiProperty({ description: 'Signs new tokens (the newest key of its algorithm)' }) signing: boolean;
}
