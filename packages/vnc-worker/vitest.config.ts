import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// End-to-end files here start real servers, browsers and viewers: one file at a time keeps
// them from competing for the machine's two cores (timeouts only guard against hangs).
export default mergeConfig(shared, defineConfig({ test: { fileParallelism: false } }));
