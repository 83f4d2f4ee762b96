export { type ApiKeys, authorize, parseApiKeys, presentedKey, type Scope } from '@oxbow/http-auth';
