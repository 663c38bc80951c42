import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { IdentityLink } from './entities/identity-link.entity';
import { IdentityLinksController } from './identity-links.controller';
import { IdentityMapRepository } from './identity-map.repository';
import { IdentityMapService } from './identity-map.service';
import { ForgetDeletedProcessor } from './jobs/forget-deleted.processor';

@Module({
  imports: [TypeOrmModule.forFeature([IdentityLink]), TenantsModule, OrganizationsModule, UsersModule],
  controllers: [IdentityLinksController],
  providers: [IdentityMapRepository, IdentityMapService, ForgetDeletedProcessor],
  exports: [IdentityMapService],
})
export class IdentityMapModule {}
