"""The page's look: Gradio's default theme with WCAG 2.1 AA contrast (4.5:1 for text), the app's CSS, and
one small fix of Gradio 6's own markup (checked by axe-core in tests/app/test_app_manager.py).

Contrast (light mode, on white): Gradio's default primary button is white on blue-500 (3.7:1) and its
subdued text (footer links, "- or -" of an upload area, info texts) neutral-400 (1.9:1); here the primary
button is blue-700 (6.7:1, hover blue-800), subdued text neutral-600 (7.7:1), placeholders neutral-500
(4.8:1) and links orange-800 (7.3:1).
"""

from __future__ import annotations

import gradio as gr

THEME = gr.themes.Default(primary_hue="blue", secondary_hue="orange").set(
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_background_fill_dark="*primary_700",
    button_primary_background_fill_hover_dark="*primary_800",
    button_primary_text_color="white",
    body_text_color_subdued="*neutral_600",
    input_placeholder_color="*neutral_500",
    link_text_color="*secondary_800",
    link_text_color_hover="*secondary_900",
    link_text_color_visited="*secondary_800",
)

CSS = """
.decision-box {font-size: 1.15rem; line-height: 1.5;}
.decision-box h2 {margin: 0.2em 0;}
"""

# Gradio 6 draws an empty output (a Plot or File without a value: Empty.svelte) as
# <div class="empty ..." aria-label="Empty value"> with no role; an aria-label is prohibited on a generic div
# (axe: aria-prohibited-attr), so screen readers may ignore it. The box holds only an icon: it is given
# role="img", on which the label is allowed and read out. Nothing else is changed; the observer covers the
# boxes Gradio draws later (tab switches, outputs emptied again).
HEAD = """
<script>
(() => {
  let queued = false;
  const fix = () => {
    queued = false;
    document.querySelectorAll("div.empty[aria-label]:not([role])").forEach((e) => e.setAttribute("role", "img"));
  };
  const later = () => { if (!queued) { queued = true; requestAnimationFrame(fix); } };
  new MutationObserver(later).observe(document.documentElement, {subtree: true, childList: true});
})();
</script>
"""
