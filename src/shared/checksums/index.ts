export * from './format';
export * from './hashers';
export * from './pool';
