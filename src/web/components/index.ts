/** The web app's kit of NHS design system components: every page is built from these. */
export * from './form.js';
export * from './not-shown.js';
export * from './notification-banner.js';
export * from './pager.js';
export * from './summary-list.js';
export * from './table.js';
export * from './tag.js';
export * from './task-list.js';
