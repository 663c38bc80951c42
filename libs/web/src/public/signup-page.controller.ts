import { Body, Controller, Get, NotFoundException, Param, Post, Req, Res, UseInterceptors } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { PasswordPolicyService } from '@portico/auth';
import { DomainException, Public, TooManyRequestsError } from '@portico/core';
import { RegisterDto, SignupService } from '@portico/signup';
import { TenantRef, TenantsService } from '@portico/tenants';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { Request, Response } from 'express';
import { publicPage, startSession } from './public-page';
import { TenantFramingInterceptor } from './tenant-framing';
import { renderCheckMail } from './account-recovery.controller';

const FIELDS = ['email', 'firstName', 'lastName', 'organizationName', 'password'] as const;
const STATUS: Record<string, number> = { CONFLICT: 409, TOO_MANY_REQUESTS: 429, FORBIDDEN: 403, INVALID: 400 };

/** The sign-up page, globally (/signup) and per tenant (/t/{key}/signup); 404 while sign-up is off. */
@ApiExcludeController()
@Public()
@Controller()
export class SignupPageController {
  constructor(
    private readonly signup: SignupService,
    private readonly tenants: TenantsService,
    private readonly passwordPolicy: PasswordPolicyService,
  ) {}

  @Get('signup')
  async page(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.ensureOpen(null);
    await this.render(req, res, null, {});
  }

  @Get('t/:tenantKey/signup')
  @UseInterceptors(TenantFramingInterceptor)
  async tenantPage(@Req() req: Request, @Res() res: Response, @Param('tenantKey') key: string): Promise<void> {
    const tenant = await this.tenant(key);
    await this.ensureOpen(tenant);
    await this.render(req, res, tenant, {});
  }

  @Post('signup')
  async submit(@Req() req: Request, @Res() res: Response, @Body() body: Record<string, unknown>): Promise<void> {
    await this.ensureOpen(null);
    await this.register(req, res, null, body);
  }

  @Post('t/:tenantKey/signup')
  @UseInterceptors(TenantFramingInterceptor)
  async tenantSubmit(
    @Req() req: Request,
    @Res() res: Response,
    @Param('tenantKey') key: string,
    @Body() body: Record<string, unknown>,
  ): Promise<void> {
    const tenant = await this.tenant(key);
    await this.ensureOpen(tenant);
    await this.register(req, res, tenant, body);
  }

  private async register(req: Request, res: Response, tenant: TenantRef | null, body: Record<string, unknown>): Promise<void> {
    const input = Object.fromEntries(FIELDS.map((f) => [f, typeof body?.[f] === 'string' ? body[f] : undefined]));
    const values = { email: input.email, firstName: input.firstName, lastName: input.lastName, organizationName: input.organizationName };
    const dto = plainToInstance(RegisterDto, input);
    const problems = (await validate(dto)).flatMap((e) => Object.values(e.constraints ?? {}));
    // The policy first, whatever the address: a taken one must not answer differently from a new one.
    const weak = typeof input.password === 'string' ? await this.passwordPolicy.check(input.password, tenant?.id ?? null) : null;
    if (weak && !problems.includes(weak)) problems.push(weak);
    if (body?.password !== body?.passwordConfirmation) problems.push('The two passwords do not match');
    if (problems.length) {
      res.status(400);
      return this.render(req, res, tenant, { values, errors: problems });
    }
    try {
      const result = await this.signup.signUp(tenant, dto, req.ip ?? null);
      if (result.kind === 'check-mail') return renderCheckMail(req, res.status(200), tenant, { login: dto.email });
      await startSession(req, result.userId);
      req.session.flash = { kind: 'success', message: `Welcome! Your organization ${dto.organizationName} is ready.` };
      res.redirect(303, '/account');
    } catch (err) {
      if (!(err instanceof DomainException)) throw err;
      res.status(STATUS[err.code] ?? 400);
      if (err instanceof TooManyRequestsError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
      await this.render(req, res, tenant, { values, errors: [err.message] });
    }
  }

  private async ensureOpen(tenant: TenantRef | null): Promise<void> {
    if (!(await this.signup.isEnabled(tenant))) throw new NotFoundException('There is no sign-up page here.');
  }

  private async tenant(key: string): Promise<TenantRef> {
    const tenant = await this.tenants.findByKey(key);
    if (!tenant) throw new NotFoundException('There is no sign-up page here.');
    return tenant;
  }

  private async render(req: Request, res: Response, tenant: TenantRef | null, data: Record<string, unknown>): Promise<void> {
    const policy = await this.passwordPolicy.rules(tenant?.id ?? null);
    res.render(
      'pages/public/signup',
      publicPage(req, 'Create your account', { tenant, action: tenant ? `/t/${tenant.key}/signup` : '/signup', policy, ...data }),
    );
  }
}
