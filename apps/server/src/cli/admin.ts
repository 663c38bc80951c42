import 'reflect-metadata';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AdminBootstrapService, AuthModule } from '@portico/auth';
import { AppConfig, CoreModule, RequestContext } from '@portico/core';
import { ALL_MIGRATIONS } from '../../../../migrations';
import { ALL_ENTITIES } from '../entities';
import { ensureSchema, runCli, StderrLogger, UsageError } from './cli-support';

const USAGE = `Usage: npm run admin -- reset-password <email>

  reset-password <email>   gives the platform administrator with that email a new password,
                           prints it once, and lifts a password lockout of theirs

Uses the database of DATABASE_URL (default: the embedded SQLite file), as the server does.
`;

/** `npm run admin -- reset-password <email>`: the way back in for an operator who lost the admin password. */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (!argv.length || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return argv.length ? 0 : 2;
  }
  const [command, email, ...rest] = argv;
  if (command !== 'reset-password') throw new UsageError(`Unknown command ${command}`);
  if (!email || rest.length) throw new UsageError('reset-password takes one email address');
  // Nothing here sends mail or takes jobs: the command changes one row and leaves.
  const config = new AppConfig({ LOG_LEVEL: 'warn', ...process.env, REDIS_URL: '', SMTP_URL: '', BILLING_SCHEDULE: 'false' });
  const app = await NestFactory.createApplicationContext(AdminCliModule.register(config), { logger: new StderrLogger() });
  try {
    await ensureSchema(app, config);
    const ctx = RequestContext.system(`cli:${process.env.USER ?? 'admin'}`);
    const reset = await app.get(AdminBootstrapService).resetPassword(ctx, email);
    if (!reset) {
      process.stderr.write(`No platform administrator has the email ${email}. Nothing was changed.\n`);
      return 1;
    }
    process.stdout.write(
      `New password for ${reset.account.email} (shown once):\n\n  ${reset.password}\n\nSign in at ${config.publicUrl}/console/login and change it under Your account.\n`,
    );
    if (reset.account.status !== 'active')
      process.stdout.write('Note: this administrator is disabled; another administrator must enable them before they can sign in.\n');
    if (reset.account.authenticatorEnabled)
      process.stdout.write('Note: this administrator has an authenticator app: sign-in still asks for its code (or a recovery code).\n');
    return 0;
  } finally {
    await app.close();
  }
}

@Module({})
class AdminCliModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AdminCliModule,
      imports: [CoreModule.forRoot(config, { entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS }), AuthModule],
    };
  }
}

runCli(main, USAGE, 'admin failed');
