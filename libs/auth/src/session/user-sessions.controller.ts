import { Controller, Delete, Get, HttpCode } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Ctx, IdParam, RequestContext, TenantOrAdmin } from '@portico/core';
import { UserSessionsService } from './user-sessions.service';

export class SessionView {
  @ApiProperty({ description: 'Names the session; not its cookie' }) id: string;
  @ApiProperty({ example: 'Chrome on macOS' }) browser: string;
  @ApiProperty() userAgent: string;
  @ApiProperty({ nullable: true, type: String, description: 'The address it last came from' }) ip: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) signedInAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastSeenAt: string | null;
}

export class AuthorizedApplicationView {
  @ApiProperty() clientId: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ format: 'date-time' }) grantedAt: string;
}

export class UserSessionsView {
  @ApiProperty({ type: [SessionView] }) sessions: SessionView[];
  @ApiProperty({ type: [AuthorizedApplicationView], description: 'Applications the user let sign them in (OpenID Connect)' })
  applications: AuthorizedApplicationView[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

@ApiTags('users')
@TenantOrAdmin()
@Controller('api/v1/users')
export class UserSessionsController {
  constructor(private readonly sessions: UserSessionsService) {}

  @Get(':id/sessions')
  @ApiOperation({ summary: "List a user's active sessions" })
  @ApiOkResponse({ type: UserSessionsView, description: "The user's browser sessions and authorized applications" })
  @ApiNotFoundResponse()
  async list(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<UserSessionsView> {
    const { sessions, applications } = await this.sessions.overview(ctx, id);
    return {
      sessions: sessions.map((s) => ({
        id: s.id,
        browser: s.browser,
        userAgent: s.userAgent,
        ip: s.ip,
        signedInAt: iso(s.signedInAt),
        lastSeenAt: iso(s.lastSeenAt),
      })),
      applications: applications.map((a) => ({
        clientId: a.clientId,
        name: a.name,
        scopes: a.scopes,
        grantedAt: a.grantedAt.toISOString(),
      })),
    };
  }

  @Delete(':id/sessions')
  @ApiOperation({ summary: "End all of a user's sessions" })
  @HttpCode(204)
  @ApiNoContentResponse({ description: "Every session ends and the applications' grants and refresh tokens are revoked" })
  @ApiNotFoundResponse()
  endAll(@Ctx() ctx: RequestContext, @IdParam() id: string): Promise<void> {
    return this.sessions.endEverything(ctx, id);
  }
}
