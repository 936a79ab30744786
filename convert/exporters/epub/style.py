"""The book's stylesheet: readable CJK and Latin text, nothing forced.

Fonts: each language gets a Latin family and a CJK family of the same kind, so Latin
words in a Chinese sentence do not switch from sans to serif. Latin-script books read in
a serif; Chinese, Japanese and Korean ones in the sans faces their readers' devices
carry (PingFang, Hiragino, Noto/Source Han Sans, Microsoft YaHei/JhengHei, Meiryo,
Malgun Gothic), a Latin sans in front for the Latin words. ``:lang()`` matches by
prefix, so ``zh`` covers ``zh-CN`` and the Traditional tags are listed after it.

Colours: readers' night modes swap the page to black and the text to a light colour,
but keep the colours a stylesheet names. Every colour here is a mid grey with 4.5:1
contrast (WCAG AA for text) on white and on black alike; text itself has no colour, so
it follows the reader's theme.
"""

STYLESHEET = """\
/* newsconv book style: readable CJK and Latin text, nothing forced. */
body { line-height: 1.7; margin: 0 0.5em; overflow-wrap: break-word; word-wrap: break-word;
       font-family: Georgia, "Noto Serif", "Source Serif Pro", "Times New Roman", serif; }
:lang(zh), :lang(zh-Hans) {
  font-family: "Helvetica Neue", Arial, "Noto Sans", "PingFang SC", "Hiragino Sans GB",
               "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; }
:lang(zh-Hant), :lang(zh-TW), :lang(zh-MO) {
  font-family: "Helvetica Neue", Arial, "Noto Sans", "PingFang TC", "Noto Sans CJK TC",
               "Source Han Sans TC", "Microsoft JhengHei", sans-serif; }
:lang(zh-HK) { font-family: "Helvetica Neue", Arial, "Noto Sans", "PingFang HK",
               "Noto Sans CJK HK", "Source Han Sans HC", "Microsoft JhengHei", sans-serif; }
:lang(ja) { font-family: "Helvetica Neue", Arial, "Noto Sans", "Hiragino Sans",
            "Hiragino Kaku Gothic ProN", "Noto Sans CJK JP", "Source Han Sans JP",
            "Yu Gothic", Meiryo, sans-serif; }
:lang(ko) { font-family: "Helvetica Neue", Arial, "Noto Sans", "Apple SD Gothic Neo",
            "Noto Sans CJK KR", "Source Han Sans KR", "Malgun Gothic", sans-serif; }
h1 { font-size: 1.6em; line-height: 1.3; margin: 0 0 0.4em; }
h2, h3, h4, h5, h6 { line-height: 1.35; margin: 1.2em 0 0.5em; }
h2 { font-size: 1.35em; } h3 { font-size: 1.2em; } h4 { font-size: 1.1em; }
h5, h6 { font-size: 1em; }
p { margin: 0 0 0.8em; }
header { margin-bottom: 1.5em; padding-bottom: 0.6em; border-bottom: 1px solid #767676; }
.byline, .categories { font-size: 0.85em; margin: 0 0 0.2em; color: #767676; }
.empty-note { font-style: italic; }
img { max-width: 100%; height: auto; }
figure { margin: 1em 0; text-align: center; }
figcaption { font-size: 0.85em; line-height: 1.4; margin-top: 0.4em; color: #767676; }
blockquote { margin: 1em 0 1em 1em; padding-left: 0.8em; border-left: 0.2em solid #767676; }
code { font-family: "Noto Sans Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace,
       monospace; font-size: 0.9em; }
pre { white-space: pre-wrap; word-wrap: break-word; overflow-wrap: break-word;
      font-size: 0.85em; line-height: 1.45; margin: 1em 0; padding: 0.5em 0.7em;
      border: 1px solid #767676; border-radius: 0.2em; }
pre code { font-size: 1em; }
li > p { margin: 0 0 0.3em; }
table { border-collapse: collapse; margin: 1em 0; line-height: 1.45; }
th, td { border: 1px solid #767676; padding: 0.2em 0.4em; vertical-align: top; }
hr { margin: 1.5em 0; }
figure.image-link a { display: inline-block; padding: 0.3em 0.8em;
                      border: 1px dashed #767676; text-decoration: none; font-size: 0.9em; }
.title-page { text-align: center; margin-top: 20%; }
.title-page h1 { font-size: 1.8em; margin-bottom: 1em; }
.title-page p { margin: 0.3em 0; }
body.cover { margin: 0; padding: 0; text-align: center; }
.cover img { max-width: 100%; max-height: 100%; }
"""
