/* scm_ui_run: the one loop that owns the terminal, the signal self-pipe,
 * and the PC/SC watcher thread.
 *
 * The only file-scope state of the UI is here: the write end of the
 * signal pipe, because a signal handler can reach nothing else. */
#include "ui_int.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t sig_fd = -1;

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (sig_fd >= 0)
        (void)!write(sig_fd, &b, 1);
    errno = saved;
}

static int make_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
        return SCM_E_IO;
    return SCM_OK;
}

/* ---- The watcher: blocks in PC/SC on its own context (pcsc-lite contexts
 * are not shared between threads) and wakes the loop through a pipe. */
struct watcher {
    struct scm_card_ctx ctx;
    int fd; /* write end */
    atomic_bool stop;
    pthread_t thread;
    bool running;
};

static void *watch(void *arg)
{
    struct watcher *w = arg;
    while (!atomic_load(&w->stop)) {
        int rc = scm_slots_wait(&w->ctx, 0, NULL);
        if (atomic_load(&w->stop))
            break;
        if (rc < 0 && rc != SCM_E_CANCELLED) {
            /* An error that returns at once must not spin. */
            struct timespec ts = {1, 0};
            nanosleep(&ts, NULL);
        }
        if (rc != 0 && rc != SCM_E_CANCELLED)
            (void)!write(w->fd, "e", 1);
    }
    return NULL;
}

static void watcher_start(struct watcher *w, int fd)
{
    memset(w, 0, sizeof(*w));
    w->fd = fd;
    atomic_init(&w->stop, false);
    /* Without pcscd the context still comes back and retries by itself. */
    scm_rd_open(&w->ctx.readers, NULL);
    if (w->ctx.readers && pthread_create(&w->thread, NULL, watch, w) == 0)
        w->running = true;
}

/* A cancel that lands just before the watcher enters SCardGetStatusChange
 * is lost (pcsc-lite cancels only a call in progress), and that wait has
 * no end: so cancel again until the thread is gone. Should it never go
 * (pcscd wedged), it is left behind with its context rather than hang
 * the quit. */
#define WATCHER_STOP_TRIES 60 /* x 50 ms */

static void watcher_stop(struct watcher *w)
{
    atomic_store(&w->stop, true);
    if (!w->running) {
        scm_rd_close(w->ctx.readers);
        return;
    }
    for (int i = 0; i < WATCHER_STOP_TRIES; i++) {
        struct timespec ts;
        scm_rd_cancel(w->ctx.readers);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_timedjoin_np(w->thread, NULL, &ts) == 0) {
            scm_rd_close(w->ctx.readers);
            return;
        }
    }
    scm_log(SCM_LOG_WARN, "ui: the PC/SC watcher did not stop; left behind");
    pthread_detach(w->thread);
}

/* ---- Signals ---------------------------------------------------------------- */

static void signals_install(struct sigaction old[4])
{
    static const int sigs[4] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &sa, &old[i]);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTSTP, SIG_IGN);
}

static void signals_restore(struct sigaction old[4])
{
    static const int sigs[4] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &old[i], NULL);
}

/* ---- A card that takes long ------------------------------------------------------
 * Card calls run under the reader layer's deadline on a worker thread; this
 * thread waits, and the reader layer calls card_wait_hook about every
 * 100 ms meanwhile. So the keys and signals stay live whatever a card does:
 * Esc cancels the call, F10 cancels it and quits, SIGTERM/SIGHUP/SIGINT
 * cancel it and end the UI the usual way (terminal restored). */

/* Cards doing key operations may take this long now and then: only a
 * longer wait is worth a note. */
#define CARD_WAIT_NOTE_MS 1000u
#define TYPED_AHEAD_MAX 64

static void stage_status_only(struct ui *ui)
{
    /* Only the status line: the call may be under a dialog, which the
     * panes must not be drawn over. */
    unsigned keep = ui->dirty & ~(1u << UI_W_STATUS);
    ui->dirty = 1u << UI_W_STATUS;
    ui_draw(ui);
    ui->dirty |= keep;
}

static bool card_wait_hook(void *arg, unsigned waited_ms)
{
    struct ui *ui = arg;
    int ahead[TYPED_AHEAD_MAX];
    size_t n = 0;
    bool stop = false;
    if (ui->quit)
        return true; /* quitting: whatever else waits is cancelled too */
    if (!ui->card_waiting && waited_ms >= CARD_WAIT_NOTE_MS) {
        ui->card_waiting = true;
        snprintf(ui->card_wait_prev, sizeof(ui->card_wait_prev), "%s", ui->status);
        ui->card_wait_prev_err = ui->status_err;
        /* Not through ui_status: a passing note, not a message for the
         * history (Ctrl-O) or the log. */
        snprintf(ui->status, sizeof(ui->status), "%s",
                 "Waiting for the card to answer... Esc cancels, F10 quits.");
        ui->status_err = false;
        ui_dirty(ui, UI_W_STATUS);
        if (ui->curses_on)
            stage_status_only(ui);
    }
    int k;
    while (!stop && (k = ui_pollkey(ui)) != ERR) {
        if (k == UI_KEY_QUIT) { /* a signal: ui_pollkey set quit and hangup */
            stop = true;
        } else if (k == KEY_F(10)) {
            /* Cancel, and quit the usual way once back in the loop (which
             * asks about unsaved VSC changes); every slow call until then
             * is cancelled too. */
            stop = true;
            if (n < TYPED_AHEAD_MAX)
                ahead[n++] = k;
        } else if (k == 27) {
            stop = true;
        } else if (n < TYPED_AHEAD_MAX) {
            /* Typed ahead: for whatever comes after the call. A resize
             * goes back as curses' own key, which the loops lay out on. */
            ahead[n++] = k == UI_KEY_RESIZE ? KEY_RESIZE : k;
        }
    }
    /* ungetch is a stack: back in reverse, read again in order. */
    while (n > 0)
        ungetch(ahead[--n]);
    return stop;
}

/* After an operation: the waiting note goes, unless the operation said
 * something else meanwhile. */
static void card_wait_done(struct ui *ui)
{
    if (!ui->card_waiting)
        return;
    ui->card_waiting = false;
    if (strncmp(ui->status, "Waiting for the card", 20) == 0) {
        snprintf(ui->status, sizeof(ui->status), "%s", ui->card_wait_prev);
        ui->status_err = ui->card_wait_prev_err;
        ui_dirty(ui, UI_W_STATUS);
    }
}

/* ---- Setup ------------------------------------------------------------------- */

static void load_theme(struct ui *ui, char *msg, size_t cap)
{
    const char *name = ui->opts->theme                         ? ui->opts->theme
                       : ui->opts->cfg && ui->opts->cfg->theme ? ui->opts->cfg->theme
                                                               : "default";
    ui_theme_load(name, ui->opts->theme_dirs, &ui->theme, msg, cap);
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        ui_theme_strip_color(&ui->theme);
}

/* VSCs made, removed or saved by another scmgr show up without a key
 * (Tab and Ctrl-L rescan too, for a store inotify cannot watch). */
static void store_watch(struct ui *ui)
{
    if (!ui->cctx.store)
        return;
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0)
        return;
    if (inotify_add_watch(fd, scm_store_dir(ui->cctx.store),
                          IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE) <
        0) {
        close(fd);
        return;
    }
    ui->fd_store = fd;
}

static void main_loop(struct ui *ui)
{
    while (!ui->quit) {
        if (ui->slots_pending) {
            ui->slots_pending = false;
            ui_slots_refresh(ui);
            ui_check_removed(ui);
        }
        card_wait_done(ui);
        if (ui->quit)
            break;
        if (ui->store_pending) {
            ui->store_pending = false;
            ui_rescan(ui);
        }
        if (ui->check_pending) {
            ui->check_pending = false;
            ui_card_check(ui);
        }
        ui_draw(ui);
        int k = ui_getkey(ui);
        switch (k) {
        case UI_KEY_QUIT:
            break;
        case UI_KEY_RESIZE:
        case UI_KEY_SLOTS:
            break;
        case UI_KEY_IDLE:
            ui_idle_expired(ui);
            break;
        case KEY_MOUSE: {
            struct ui_mouse m;
            if (ui_mouse_read(ui, &m))
                ui_mouse_main(ui, &m);
            break;
        }
        default:
            if (ui->lay.too_small && k != KEY_F(10) && k != 'q')
                break;
            if (ui_pane_key(ui, k))
                break;
            enum ui_action a = ui_keys_lookup(k);
            if (a == UI_ACT_NONE)
                ui_status(ui, false, "That key does nothing here; F1 shows the keys.");
            else
                ui_act(ui, a);
        }
    }
}

int scm_ui_run(const struct scm_ui_opts *o)
{
    struct ui ui;
    struct watcher w;
    struct sigaction old[4];
    int sigp[2] = {-1, -1}, evp[2] = {-1, -1};
    char theme_msg[512] = "";
    int rc;

    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return SCM_E_NO_TTY;
    memset(&ui, 0, sizeof(ui));
    ui.opts = o;
    ui.pol = &o->cfg->policy;
    ui.no_mouse = o->no_mouse || o->cfg->no_mouse;
    ui.fd_sig = ui.fd_ev = ui.fd_store = -1;
    ui.cctx.store = o->store;
    ui.cctx.policy = &o->cfg->policy;
    setlocale(LC_ALL, "");

    if ((rc = make_pipe(sigp)) < 0 || (rc = make_pipe(evp)) < 0)
        goto out;
    ui.fd_sig = sigp[0];
    ui.fd_ev = evp[0];
    if ((rc = scm_clip_new(&ui.clip)) < 0 || (rc = scm_slots_new(&ui.slotstate)) < 0)
        goto out;
    scm_rd_open(&ui.cctx.readers, NULL);
    if (ui.cctx.readers) {
        scm_rd_set_deadline(ui.cctx.readers, o->cfg->io_timeout * 1000u);
        scm_rd_set_hook(ui.cctx.readers, card_wait_hook, &ui);
    }
    load_theme(&ui, theme_msg, sizeof(theme_msg));

    sig_fd = sigp[1];
    signals_install(old);
    if ((rc = ui_screen_start(&ui)) < 0) {
        signals_restore(old);
        goto out;
    }
    watcher_start(&w, evp[1]);
    store_watch(&ui);
    ui.last_input = time(NULL);
    if (theme_msg[0])
        ui_status(&ui, true, "%s", theme_msg);
    else if (!scm_secure_locked())
        ui_status(&ui, true,
                  "Secure memory is not locked (RLIMIT_MEMLOCK): secrets may be swapped.");
    else
        ui_status(&ui, false,
                  "Select a reader or VSC and press Enter. F1 help, F9 menu, F10 quit.");
    /* The first screen is up before any card is asked anything: probing a
     * card may take up to the deadline. */
    ui_draw(&ui);
    ui_slots_refresh(&ui);

    main_loop(&ui);

    /* On a hang-up nothing is asked and nothing half-done is saved: the
     * open card is closed, which drops (and wipes) unsaved changes. */
    ui_card_drop(&ui);
    watcher_stop(&w);
    ui_screen_stop(&ui);
    signals_restore(old);
    rc = SCM_OK;
out:
    sig_fd = -1;
    scm_clip_free(ui.clip); /* wiped */
    ui_msglog_free(&ui.msgs);
    scm_slots_free(ui.slotstate);
    scm_rd_close(ui.cctx.readers);
    free(ui.slots);
    free(ui.rows);
    free(ui.marks);
    free(ui.clip_marks);
    if (ui.fd_store >= 0)
        close(ui.fd_store);
    for (int i = 0; i < 2; i++) {
        if (sigp[i] >= 0)
            close(sigp[i]);
        if (evp[i] >= 0)
            close(evp[i]);
    }
    return rc;
}
