import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentityLink } from './entities/identity-link.entity';
import { IdentityMapService } from './identity-map.service';

@Module({
  imports: [TypeOrmModule.forFeature([IdentityLink])],
  providers: [IdentityMapService],
  exports: [IdentityMapService],
})
export class IdentityMapModule {}
