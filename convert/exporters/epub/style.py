"""The book's stylesheet."""

STYLESHEET = """\
/* newsconv book style: readable CJK and Latin text, nothing forced. */
body { line-height: 1.7; margin: 0 0.5em; overflow-wrap: break-word; word-wrap: break-word; }
h1 { font-size: 1.6em; line-height: 1.3; margin: 0 0 0.4em; }
h2, h3, h4, h5, h6 { line-height: 1.35; margin: 1.2em 0 0.5em; }
h2 { font-size: 1.35em; } h3 { font-size: 1.2em; } h4 { font-size: 1.1em; }
h5, h6 { font-size: 1em; }
p { margin: 0 0 0.8em; }
header { margin-bottom: 1.5em; padding-bottom: 0.6em; border-bottom: 1px solid #ccc; }
.byline, .categories { font-size: 0.85em; margin: 0 0 0.2em; color: #555; }
.empty-note { font-style: italic; }
img { max-width: 100%; height: auto; }
figure { margin: 1em 0; text-align: center; }
figcaption { font-size: 0.85em; line-height: 1.4; margin-top: 0.4em; color: #555; }
blockquote { margin: 1em 0 1em 1em; padding-left: 0.8em; border-left: 0.2em solid #999; }
code { font-family: monospace, monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; word-wrap: break-word; overflow-wrap: break-word;
      font-size: 0.85em; line-height: 1.45; margin: 1em 0; padding: 0.5em 0.7em;
      border: 1px solid #ccc; border-radius: 0.2em; }
pre code { font-size: 1em; }
li > p { margin: 0 0 0.3em; }
table { border-collapse: collapse; margin: 1em 0; line-height: 1.45; }
th, td { border: 1px solid #999; padding: 0.2em 0.4em; vertical-align: top; }
hr { margin: 1.5em 0; }
figure.image-link a { display: inline-block; padding: 0.3em 0.8em; border: 1px dashed #999;
                      text-decoration: none; font-size: 0.9em; }
.title-page { text-align: center; margin-top: 20%; }
.title-page h1 { font-size: 1.8em; margin-bottom: 1em; }
.title-page p { margin: 0.3em 0; }
body.cover { margin: 0; padding: 0; text-align: center; }
.cover img { max-width: 100%; max-height: 100%; }
"""
