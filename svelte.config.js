// Read by @sveltejs/vite-plugin-svelte (electron-vite renderer build and the
// vitest `renderer` project), svelte-check and eslint-plugin-svelte.
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Runes-only project: force runes mode for our own components, leave
    // third-party Svelte libraries (if any) to decide for themselves.
    runes: ({ filename }) => (filename.split(/[/\\]/).includes('node_modules') ? undefined : true),
  },
};

export default config;
