'use strict';
// The baseline for bench/run.js: NestJS on Express with one route returning a constant and
// nothing else (no middleware, no guard, no database, no logging). Plain JS, so the decorators
// are applied through Reflect.decorate instead of the @ syntax.
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');

const CONSTANT = Object.freeze({ status: 'ok' });

class BareController {
  constant() {
    return CONSTANT;
  }
}
Reflect.decorate([Get()], BareController.prototype, 'constant', Object.getOwnPropertyDescriptor(BareController.prototype, 'constant'));
Reflect.decorate([Controller('bare')], BareController);

class BareModule {}
Reflect.decorate([Module({ controllers: [BareController] })], BareModule);

async function main() {
  const app = await NestFactory.create(BareModule, { logger: false });
  await app.listen(Number(process.env.PORT ?? 3099), '127.0.0.1');
  process.stdout.write(`bare app listening on 127.0.0.1:${process.env.PORT ?? 3099}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
