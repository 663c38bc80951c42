import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Length } from 'class-validator';

export class ServerAccessDto {
  @ApiProperty({
    type: [String],
    example: ['203.0.113.10', '10.0.0.0/8'],
    description: 'IPs and CIDR ranges allowed to call the check endpoint for this server; empty: anyone',
  })
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  allowedIps: string[];
}

export class ServerAccessView {
  @ApiProperty() server: string;
  @ApiProperty({ type: [String] }) allowedIps: string[];
  @ApiProperty({ nullable: true, type: Date }) updatedAt: Date | null;
}
