/** The playground page's CSS (light and dark), inlined into the page. */
export const STYLE = String.raw`
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #6b6b70; --bg: #fafafa; --card: #fff; --line: #d9d9de; --accent: #3a5bd9; --bad: #b3261e; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececf1; --muted: #a0a0aa; --bg: #17171a; --card: #202024; --line: #3a3a40; --accent: #8aa4ff; --bad: #ff8a80; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; padding: .8rem 1.4rem; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 1.15rem; margin: 0; }
#health { font-size: .8rem; padding: .1rem .5rem; border-radius: 1rem; border: 1px solid var(--line); color: var(--muted); }
#health.READY { color: #1b7f3b; border-color: #1b7f3b; }
header label { margin-left: auto; font-size: .85rem; color: var(--muted); }
main { display: grid; grid-template-columns: minmax(300px, 1fr) minmax(300px, 1.3fr); gap: 1.2rem; padding: 1.2rem 1.4rem; }
@media (max-width: 800px) { main { grid-template-columns: 1fr; } }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.1rem; min-width: 0; }
h2 { font-size: 1rem; margin: 0 0 .7rem; }
h3 { font-size: .85rem; margin: 1rem 0 .3rem; color: var(--muted); font-weight: 600; }
.field { margin-bottom: .9rem; }
.field > label { display: block; font-weight: 600; font-size: .9rem; }
.field .type { font-weight: 400; color: var(--muted); font-size: .8rem; margin-left: .4rem; }
.field .desc { color: var(--muted); font-size: .82rem; margin: .1rem 0 .3rem; }
input[type=text], input[type=number], input[type=password], input[type=url], textarea, select { width: 100%; font: inherit; padding: .4rem .5rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
textarea { min-height: 4.2rem; resize: vertical; }
#token { width: 14rem; font: inherit; padding: .25rem .4rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
button { font: inherit; padding: .45rem 1rem; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--fg); cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
.buttons { display: flex; gap: .5rem; margin-top: .4rem; }
#status { font-weight: 600; margin-bottom: .5rem; }
#error { color: var(--bad); white-space: pre-wrap; border: 1px solid var(--bad); border-radius: 6px; padding: .5rem .7rem; margin-bottom: .6rem; }
#output { white-space: pre-wrap; word-break: break-word; min-height: 6rem; padding: .6rem .7rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); font-size: .95rem; }
#output img, #output video { max-width: 100%; }
#output pre { margin: 0; }
#stats { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; margin-top: .6rem; font-size: .85rem; color: var(--muted); }
#stats b { color: var(--fg); font-variant-numeric: tabular-nums; }
pre.box { white-space: pre-wrap; word-break: break-all; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .5rem .6rem; font-size: .8rem; max-height: 16rem; overflow: auto; margin: 0; }
.snippet { position: relative; }
.snippet button { position: absolute; top: .3rem; right: .3rem; padding: .1rem .5rem; font-size: .75rem; }
footer { padding: 0 1.4rem 1.4rem; font-size: .85rem; color: var(--muted); }
footer a { color: var(--accent); margin-right: 1rem; }
.notice { color: var(--muted); }
`;
