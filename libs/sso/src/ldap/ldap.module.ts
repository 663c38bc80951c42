import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '@portico/auth';
import { IdentityMapModule } from '@portico/identity-map';
import { OrganizationsModule } from '@portico/organizations';
import { TenantsModule } from '@portico/tenants';
import { UsersModule } from '@portico/users';
import { DirectoryClient } from './client/directory-client';
import { DirectoryTester } from './directory-tester';
import { LdapAccount } from './entities/ldap-account.entity';
import { LdapDirectory } from './entities/ldap-directory.entity';
import { LdapDirectoriesController } from './ldap-directories.controller';
import { LdapRepository } from './ldap.repository';
import { LdapService } from './ldap.service';
import { DirectoryAccounts } from './login/directory-accounts';
import { GroupRoles } from './login/group-roles';
import { LdapLoginRouter } from './login/ldap-login';

/**
 * LDAP / Active Directory: directories (global or per tenant) and sign-ins checked by them. It plugs
 * into auth's FirstFactorRoutes, so auth depends on nothing here.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([LdapDirectory, LdapAccount]),
    AuthModule,
    TenantsModule,
    OrganizationsModule,
    UsersModule,
    IdentityMapModule,
  ],
  controllers: [LdapDirectoriesController],
  providers: [LdapService, LdapRepository, DirectoryClient, DirectoryTester, GroupRoles, DirectoryAccounts, LdapLoginRouter],
  exports: [LdapService],
})
export class LdapModule {}
