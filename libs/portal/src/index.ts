export * from './portal.module';
export * from './portal.service';
export type { AutologinRedemption } from './autologin/autologin-login';
export { AutologinDto, AutologinView, AutologinSecretView } from './autologin/dto/autologin.dto';
export type { NotificationAnswer } from './notifications/notifications.service';
export { AutologinSecret } from './autologin/entities/autologin-secret.entity';
export { AutologinSession } from './autologin/entities/autologin-session.entity';
export { AutologinJwtId } from './autologin/entities/autologin-jwt-id.entity';
export { InboundReceipt } from './notifications/entities/inbound-receipt.entity';
