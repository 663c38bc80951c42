import { Module } from '@nestjs/common';
import { AuthModule } from '@portico/auth';
import { IdentityMapModule } from '@portico/identity-map';
import { OrganizationsModule } from '@portico/organizations';
import { UsersModule } from '@portico/users';
import { FederatedProvisioning } from './federated-provisioning';
import { FederatedSignIn } from './federated-sign-in';

/** What SAML and OpenID Connect sign-ins share: turning a provider's identity into a Portico user. */
@Module({
  imports: [OrganizationsModule, UsersModule, IdentityMapModule, AuthModule],
  providers: [FederatedProvisioning, FederatedSignIn],
  exports: [FederatedProvisioning, FederatedSignIn],
})
export class FederationModule {}
