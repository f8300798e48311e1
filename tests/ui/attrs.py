#!/usr/bin/python3
"""Attributes of text on a tmux screen: reads `tmux capture-pane -e -p` on
stdin and prints, for each REGEX argument, the SGR attributes (bold,
reverse, colours...) in force at its first match, row by row from the top,
or "-" when nothing matches. tests/ui/lib.sh uses it to tell which pane
has the focus (its title is drawn in the focus colour)."""
import re
import sys

SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\([0-9A-Za-z]|[=>78])")


def apply(state, params):
    p = [int(x) if x else 0 for x in re.split("[;:]", params)] if params else [0]
    i = 0
    while i < len(p):
        c = p[i]
        if c == 0:
            state.clear()
        elif c in (1, 2, 3, 4, 5, 7, 8, 9):
            state["a%d" % c] = True
        elif c == 22:
            state.pop("a1", None)
            state.pop("a2", None)
        elif c in (23, 24, 25, 27, 28, 29):
            state.pop("a%d" % (c - 20), None)
        elif 30 <= c <= 37 or 90 <= c <= 97:
            state["fg"] = str(c)
        elif 40 <= c <= 47 or 100 <= c <= 107:
            state["bg"] = str(c)
        elif c in (38, 48) and i + 1 < len(p):
            key = "fg" if c == 38 else "bg"
            if p[i + 1] == 5 and i + 2 < len(p):
                state[key] = "5;%d" % p[i + 2]
                i += 2
            elif p[i + 1] == 2 and i + 4 < len(p):
                state[key] = "2;%d;%d;%d" % tuple(p[i + 2:i + 5])
                i += 4
        elif c == 39:
            state.pop("fg", None)
        elif c == 49:
            state.pop("bg", None)
        i += 1


def rows(text):
    """Each row as a list of (char, attrs) cells; attributes carry over
    from row to row as in tmux's output."""
    state = {}
    out = []
    for line in text.split("\n"):
        cells = []
        pos = 0
        while pos < len(line):
            m = SGR.match(line, pos)
            if m:
                apply(state, m.group(1))
                pos = m.end()
                continue
            m = OTHER.match(line, pos)
            if m:
                pos = m.end()
                continue
            cells.append((line[pos], " ".join("%s=%s" % kv for kv in sorted(state.items())) or "plain"))
            pos += 1
        out.append(cells)
    return out


def main():
    screen = rows(sys.stdin.read())
    for arg in sys.argv[1:]:
        rx = re.compile(arg)
        found = "-"
        for cells in screen:
            m = rx.search("".join(c for c, _ in cells))
            if m:
                found = cells[m.start()][1]
                break
        print(found)


if __name__ == "__main__":
    main()
