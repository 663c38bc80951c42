import { Module } from '@nestjs/common';
import { AuthModule } from '@portico/auth';
import { ConsoleLoginController } from './console/console-login.controller';
import { DashboardController } from './console/dashboard.controller';

/** Server-rendered pages: the admin console and (later) the public login, signup and account pages. */
@Module({
  imports: [AuthModule],
  controllers: [ConsoleLoginController, DashboardController],
})
export class WebModule {}
