import { Args } from '@oclif/core';
import * as errors from '../../../protocol/errors';
import { ClientCommand, connectionFlag } from '../../base';

export default class ErrorsClear extends ClientCommand {
  static override summary = 'Mark an error as dealt with (admin).';
  static override args = { id: Args.integer({ required: true, description: 'Error id (librarian errors list).' }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(ErrorsClear);
    const { client } = this.connect(flags.connection);
    const r = await client.call(errors.clear, { id: args.id });
    this.log(`Error ${r.id} cleared.`);
    return r;
  }
}
