/**
 * Error bodies in every shape a v2 Librarian sends (wire-v2.md §1.5): the client reads the reason
 * and remedy from each, where the Python client crashed on two of them.
 */
import { failureOf } from '../../src/protocol/client';

test.each([
  ['top level (most endpoints)', { reason: 'Store main does not exist.', suggested_remedy: 'Check the name.' }, { reason: 'Store main does not exist.', remedy: 'Check the name.' }],
  ['detail as a string', { detail: 'Not Found' }, { reason: 'Not Found' }],
  ['detail as a stringified object', { detail: JSON.stringify({ reason: 'Upload too large.', suggested_remedy: 'Split it.' }) }, { reason: 'Upload too large.', remedy: 'Split it.' }],
  ['detail as an object (corrupt/*)', { detail: { reason: 'Our copy of the file is also corrupt', suggested_remedy: 'Wait a while, we will attempt to fix this copy' } }, { reason: 'Our copy of the file is also corrupt', remedy: 'Wait a while, we will attempt to fix this copy' }],
  ['detail as a list (422)', { detail: [{ loc: ['body', 'file_name'], msg: 'Field required', type: 'missing' }] }, { reason: 'body.file_name: Field required' }],
  ['a user change refused without a reason (users/create, delete)', { success: false, username: 'bob' }, { reason: 'The server refused the change to user "bob" and gave no reason (success: false).' }],
  ['plain text', 'Internal Server Error', { reason: 'Internal Server Error' }],
  ['nothing', null, {}],
])('%s', (_shape, body, expected) => {
  expect(failureOf(body)).toEqual(expected);
});
