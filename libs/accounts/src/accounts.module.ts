import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailModule } from '@portico/mail';
import { AccountTokensRepository } from './tokens/account-tokens.repository';
import { AccountTokensService } from './tokens/account-tokens.service';
import { AccountTokensSweeper } from './tokens/account-tokens-sweeper';
import { AccountToken } from './tokens/entities/account-token.entity';

/** The account lifecycle: mailed links (one token table for every purpose) and the flows that use them. */
@Module({
  imports: [TypeOrmModule.forFeature([AccountToken]), MailModule],
  providers: [AccountTokensRepository, AccountTokensService, AccountTokensSweeper],
  exports: [AccountTokensService],
})
export class AccountsModule {}
