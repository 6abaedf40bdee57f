import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/searchAttributes';

test('the dev server registers exactly the search attributes the workflows use', () => {
  const lines = readFileSync(path.resolve(__dirname, '../../temporal-dev/search-attributes'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
  const typeName: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int', TEXT: 'Text', BOOL: 'Bool', DATETIME: 'Datetime', DOUBLE: 'Double', KEYWORD_LIST: 'KeywordList' };
  expect(lines.sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name}=${typeName[k.type]}`).sort());
});
