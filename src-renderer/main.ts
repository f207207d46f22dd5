import { mount } from 'svelte';
import App from './app/App.svelte';
import './app.css';

const target = document.getElementById('app');
if (target === null) throw new Error('#app element missing from index.html');

export default mount(App, { target });
