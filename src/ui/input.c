/* Keys and events. The loop blocks in poll() on the terminal, the signal
 * self-pipe and the slot-event pipe (written by the PC/SC watcher thread),
 * with the idle timeout and the open real card's change check as its only
 * timeouts: no busy polling. */
#include "ui_int.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

/* After a bare Esc (curses already waited ESCDELAY for a sequence), how
 * long a digit or letter may still follow to make Esc+digit = F-key or
 * Alt+letter. People type Esc and then the digit as two keystrokes, as in
 * mc (whose Esc-combo wait is of this order); much longer makes Esc alone
 * feel slow, and only Esc alone pays this wait. */
#define ESC_COMBO_MS 200

/* Esc followed by a digit is F1..F10, by a letter Alt+letter (terminals
 * send Alt so); VT220 Find/Select are Home/End. */
static int read_key(struct ui *ui)
{
    (void)ui;
    int k = wgetch(stdscr);
    if (k == 27) {
        wtimeout(stdscr, ESC_COMBO_MS);
        int n = wgetch(stdscr);
        wtimeout(stdscr, -1);
        int c = n != ERR ? ui_keys_after_esc(n) : 0;
        if (c)
            return c;
        if (n != ERR)
            ungetch(n);
        return k;
    }
    return ui_keys_alias(k);
}

/* Drain the signal pipe; true when a signal asks to stop. */
static bool take_signals(struct ui *ui, bool *resized)
{
    unsigned char sig[16];
    bool stop = false;
    ssize_t r;
    while ((r = read(ui->fd_sig, sig, sizeof(sig))) > 0)
        for (ssize_t i = 0; i < r; i++) {
            if (sig[i] == SIGWINCH)
                *resized = true;
            else
                stop = true;
        }
    return stop;
}

static void drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

/* inotify reads whole events only: a buffer smaller than one (with its
 * name) fails with EINVAL and would leave the fd readable for ever. */
static void drain_events(int fd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

static int idle_left_ms(const struct ui *ui)
{
    if (!ui->pol->idle_timeout || (!ui->card && (!ui->clip || !scm_clip_count(ui->clip))))
        return -1;
    time_t end = ui->last_input + (time_t)ui->pol->idle_timeout;
    time_t now = time(NULL);
    return end <= now ? 0 : (int)(end - now) * 1000;
}

/* A real card open: ms until it is asked for changes again (check_every
 * after the last key or check), else -1. */
static int check_left_ms(const struct ui *ui)
{
    if (!ui->card || ui->ci.kind != SCM_CARD_REAL)
        return -1;
    time_t base = ui->last_input > ui->last_check ? ui->last_input : ui->last_check;
    time_t every = ui->check_every > UI_CARD_CHECK_S ? ui->check_every : UI_CARD_CHECK_S;
    time_t end = base + every, now = time(NULL);
    return end <= now ? 0 : (int)(end - now) * 1000;
}

static int min_tmo(int a, int b)
{
    return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

int ui_pollkey(struct ui *ui)
{
    struct pollfd p[2] = {{ui->fd_sig, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    bool resized = false;
    if (poll(p, 2, 0) > 0 && (p[0].revents & POLLIN) && take_signals(ui, &resized)) {
        ui->quit = ui->hangup = true;
        return UI_KEY_QUIT;
    }
    if (resized) {
        ui_screen_resize(ui);
        return UI_KEY_RESIZE;
    }
    nodelay(stdscr, TRUE);
    int k = wgetch(stdscr);
    nodelay(stdscr, FALSE);
    return k;
}

int ui_getkey(struct ui *ui)
{
    if (ui->quit && ui->hangup)
        return UI_KEY_QUIT;
    for (;;) {
        /* curses may already hold keys it read in one go (a paste, a
         * sequence): poll() would not see those. */
        nodelay(stdscr, TRUE);
        int early = wgetch(stdscr);
        nodelay(stdscr, FALSE);
        if (early != ERR) {
            ungetch(early);
            int k = read_key(ui);
            if (k == KEY_RESIZE) {
                /* curses resized itself already (resizeterm queues this
                 * key): lay out again, without asking the size again. */
                ui_screen_layout(ui);
                return UI_KEY_RESIZE;
            }
            ui->last_input = time(NULL);
            return k;
        }
        struct pollfd p[4] = {
            {ui->fd_sig, POLLIN, 0},
            {STDIN_FILENO, POLLIN, 0},
            {ui->fd_ev, POLLIN, 0},
            {ui->fd_store, POLLIN, 0}, /* a negative fd is ignored by poll() */
        };
        int tmo = idle_left_ms(ui);
        if (tmo == 0) {
            ui->last_input = time(NULL);
            return UI_KEY_IDLE;
        }
        int chk = check_left_ms(ui);
        if (chk == 0) {
            /* The main loop asks the card (a dialog just goes on waiting). */
            ui->last_check = time(NULL);
            ui->check_pending = true;
            return UI_KEY_SLOTS;
        }
        int r = poll(p, 4, min_tmo(tmo, chk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            ui->quit = ui->hangup = true;
            return UI_KEY_QUIT;
        }
        if (r == 0)
            continue; /* the idle check above fires */
        if (p[0].revents & POLLIN) {
            bool resized = false;
            if (take_signals(ui, &resized)) {
                ui->quit = ui->hangup = true;
                return UI_KEY_QUIT;
            }
            if (resized) {
                ui_screen_resize(ui);
                return UI_KEY_RESIZE;
            }
        }
        if (p[1].revents & (POLLHUP | POLLERR | POLLNVAL)) {
            /* The terminal is gone (SSH dropped without SIGHUP reaching us). */
            ui->quit = ui->hangup = true;
            return UI_KEY_QUIT;
        }
        if (p[1].revents & POLLIN) {
            int k = read_key(ui);
            if (k == ERR)
                continue;
            if (k == KEY_RESIZE) {
                /* curses resized itself already (resizeterm queues this
                 * key): lay out again, without asking the size again. */
                ui_screen_layout(ui);
                return UI_KEY_RESIZE;
            }
            ui->last_input = time(NULL);
            return k;
        }
        if (ui->fd_ev >= 0 && (p[2].revents & POLLIN)) {
            drain(ui->fd_ev);
            ui->slots_pending = true;
            return UI_KEY_SLOTS;
        }
        if (ui->fd_store >= 0 && (p[3].revents & POLLIN)) {
            drain_events(ui->fd_store); /* one rescan for a burst (a save renames twice) */
            ui->store_pending = true;
            return UI_KEY_SLOTS;
        }
    }
}
