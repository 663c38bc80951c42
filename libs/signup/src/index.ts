export * from './signup.module';
export * from './signup.service';
export * from './dto/register.dto';
