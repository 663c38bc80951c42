export * from './ldap.module';
export * from './ldap.service';
export * from './dto/ldap-directory.dto';
export { LDAP_PRESETS, PRESET_DEFAULTS, DIRECTORY_ROLES } from './config/presets';
export type { LdapPreset, AttributeMapping, GroupRoleMapping, DirectoryRole } from './config/presets';
export { LdapDirectory } from './entities/ldap-directory.entity';
export { LdapAccount } from './entities/ldap-account.entity';
