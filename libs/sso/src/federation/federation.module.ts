import { Module } from '@nestjs/common';
import { IdentityMapModule } from '@portico/identity-map';
import { OrganizationsModule } from '@portico/organizations';
import { UsersModule } from '@portico/users';
import { FederatedProvisioning } from './federated-provisioning';

/** What SAML and OpenID Connect sign-ins share: turning a provider's identity into a Portico user. */
@Module({
  imports: [OrganizationsModule, UsersModule, IdentityMapModule],
  providers: [FederatedProvisioning],
  exports: [FederatedProvisioning],
})
export class FederationModule {}
