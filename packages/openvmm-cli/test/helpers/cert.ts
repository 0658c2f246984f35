/**
 * The throwaway self-signed certificate for the TLS options and the TLS e2e tests: the vnc
 * package's test helper (one `openssl` call per process), shared rather than copied.
 */
export { type TestCert, testCert } from '../../../vnc/test/helpers/cert.js';
