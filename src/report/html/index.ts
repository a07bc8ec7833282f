/**
 * The HTML report: a bounded collector fed by the pipeline's event and
 * finding hooks, and a pure renderer from the pipeline's result, the
 * collected timelines and the capture's metadata to one self-contained page.
 */
export { createTimelineCollector, DEFAULT_TIMELINE_LIMITS, type TimelineCollector, type TimelineData, type TimelineLimits } from './collect.ts';
export { renderHtml } from './render.ts';
export { DEFAULT_RENDER_LIMITS, type HtmlReportInput, type RenderLimits } from './input.ts';
export { cspHash, displayText, esc, jsonForScript } from './escape.ts';
