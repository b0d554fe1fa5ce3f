import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { takeTokenFromUrl } from './lib/auth.ts';

takeTokenFromUrl();
mount(App, { target: document.getElementById('app')! });
