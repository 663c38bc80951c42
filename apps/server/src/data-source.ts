import { AppConfig, buildDataSourceOptions } from '@portico/core';
import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../../migrations';
import { ALL_ENTITIES } from './entities';

/** The data source outside Nest: for `npm run migrate`, the TypeORM CLI and the tests. */
export function createDataSource(config: AppConfig = new AppConfig()): DataSource {
  return new DataSource(buildDataSourceOptions(config.database, { entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS }));
}

export default createDataSource();
