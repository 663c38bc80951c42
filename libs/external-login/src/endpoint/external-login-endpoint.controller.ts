import { All, Controller, Get, Header, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiExcludeEndpoint, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@portico/core';
import type { Request } from 'express';
import { ContractReply, ExternalLoginEndpointService, fail, REASONS } from './external-login-endpoint.service';
import { readBody } from './read-body';

/** The path other systems call; it reads its own body, so the app's body parsers leave it alone. */
export const EXTERNAL_LOGIN_PATH = '/external-login';
// {site_id, username, password} fits in far less; anything bigger is not a login.
const MAX_BODY_BYTES = 16 * 1024;

const METHOD_NOT_ALLOWED = {
  statusCode: 405,
  error: 'Method Not Allowed',
  message: 'Call POST /external-login with a JSON body {site_id, username, password}',
};

@ApiTags('external-login')
@Public()
@Controller('external-login')
export class ExternalLoginEndpointController {
  constructor(private readonly endpoint: ExternalLoginEndpointService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Portico as an external login provider',
    description:
      'Checks a site member’s Portico password. Always answers 200 with the contract’s JSON; any other status is a failure. Enabled and protected (access-token header, IP allow-list) in /api/v1/settings/external-login.',
  })
  @ApiHeader({ name: 'x-access-token', required: false, description: 'The configured access-token header, when one is set' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['site_id', 'username', 'password'],
      properties: {
        site_id: { type: 'integer', example: 1001 },
        username: { type: 'string', example: 'bjones' },
        password: { type: 'string', format: 'password' },
      },
    },
  })
  @ApiOkResponse({
    description:
      '{"login_successful": false, "reason": "…"} or {"login_successful": true, "username", "email_address", "is_site_administrator"}',
  })
  async login(@Req() req: Request): Promise<ContractReply> {
    const caller = { ip: req.ip ?? null, headers: req.headers };
    const refused = await this.endpoint.admit(caller);
    if (refused) return refused;
    const body = await readBody(req, MAX_BODY_BYTES);
    if (!body.ok) return fail(body.tooLarge ? REASONS.tooLarge : REASONS.missing);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch {
      parsed = null;
    }
    return this.endpoint.check(caller, parsed);
  }

  @Get()
  @HttpCode(405)
  @Header('Allow', 'POST')
  @ApiExcludeEndpoint()
  get(): typeof METHOD_NOT_ALLOWED {
    return METHOD_NOT_ALLOWED;
  }

  @All()
  @HttpCode(405)
  @Header('Allow', 'POST')
  @ApiExcludeEndpoint()
  other(): typeof METHOD_NOT_ALLOWED {
    return METHOD_NOT_ALLOWED;
  }
}
