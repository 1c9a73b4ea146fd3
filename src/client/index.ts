// `alunite/client`: what applications import.
export {
  VendingCredentialProvider,
  VendingError,
  isCredentialError,
  CREDENTIAL_ERROR_CODES,
  type AliOssCredentialOptions,
  type TemporaryCredentials,
  type VendingCredentialProviderOptions,
} from './credentials.js';
export { PopClient, PopError, type PopClientOptions, type PopCredentials, type PopParams } from './pop.js';
