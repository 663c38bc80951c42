import { MigrationInterface, QueryRunner } from 'typeorm';

// Renamed so every action and target type reads `snake_case.snake_case`, like the rest of the log.
const ACTION_PREFIXES: [string, string][] = [
  ['external-login-provider.', 'external_login_provider.'],
  ['ldap-directory.', 'ldap_directory.'],
  ['external-login.', 'external_login.'],
  ['settings.external-login.', 'settings.external_login.'],
];
const TARGET_TYPES: [string, string][] = [
  ['external-login-provider', 'external_login_provider'],
  ['ldap-directory', 'ldap_directory'],
];

/** Old audit rows get the new action names, so a filter by prefix finds them beside the new ones. */
export class AuditActionNames1764002610000 implements MigrationInterface {
  name = 'AuditActionNames1764002610000';

  async up(qr: QueryRunner): Promise<void> {
    await rename(qr, ACTION_PREFIXES, TARGET_TYPES);
  }

  async down(qr: QueryRunner): Promise<void> {
    const back = (pairs: [string, string][]): [string, string][] => pairs.map(([from, to]) => [to, from]);
    await rename(qr, back(ACTION_PREFIXES), back(TARGET_TYPES));
  }
}

// The names are the constants above (no quotes in them), so they are written into the statements.
async function rename(qr: QueryRunner, prefixes: [string, string][], targetTypes: [string, string][]): Promise<void> {
  for (const [from, to] of prefixes) {
    await qr.query(
      `UPDATE audit_events SET action = '${to}' || substr(action, ${from.length + 1}) WHERE substr(action, 1, ${from.length}) = '${from}'`,
    );
  }
  for (const [from, to] of targetTypes) {
    await qr.query(`UPDATE audit_events SET target_type = '${to}' WHERE target_type = '${from}'`);
  }
}
