export * from './email-change.module';
export * from './email-change.service';
export * from './dto/email-change.dto';
