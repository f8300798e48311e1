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

static void watcher_stop(struct watcher *w)
{
    atomic_store(&w->stop, true);
    if (w->running) {
        scm_rd_cancel(w->ctx.readers);
        pthread_join(w->thread, NULL);
    }
    scm_rd_close(w->ctx.readers);
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

/* ---- Setup ------------------------------------------------------------------- */

static void load_theme(struct ui *ui, char *msg, size_t cap)
{
    const char *name = ui->opts->theme ? ui->opts->theme
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
                          IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE) < 0) {
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
        if (ui->store_pending) {
            ui->store_pending = false;
            ui_rescan(ui);
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
        default:
            if (ui->lay.too_small && k != KEY_F(10) && k != 'q')
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
    load_theme(&ui, theme_msg, sizeof(theme_msg));

    sig_fd = sigp[1];
    signals_install(old);
    if ((rc = ui_screen_start(&ui)) < 0) {
        signals_restore(old);
        goto out;
    }
    watcher_start(&w, evp[1]);
    store_watch(&ui);
    ui_slots_refresh(&ui);
    ui.last_input = time(NULL);
    if (theme_msg[0])
        ui_status(&ui, true, "%s", theme_msg);
    else if (ui.status[0] == '\0')
        ui_status(&ui, false, "Select a reader or VSC and press Enter. F1 help, F9 menu, F10 quit.");

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
