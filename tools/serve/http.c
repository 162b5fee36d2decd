/*
 * http.c — the HTTP side of `edgeinfer serve`, on libmicrohttpd.
 *
 * MHD runs its own threads (a pool, each with epoll where available). Its
 * callbacks never block: a request that must wait for the scheduler is
 * suspended and resumed by it (see server.h). What a request may cost
 * before it is refused is bounded up front: the API key and the route are
 * checked on the headers alone, a body larger than cfg.max_body is refused
 * with 413 as soon as its Content-Length (or its size so far) says so,
 * MHD's memory limit bounds the headers, and a watchdog shuts the socket of
 * any request that has not arrived whole within cfg.timeout_s (slow
 * clients that trickle bytes to hold a connection).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

/* One TCP connection, for the watchdog. */
typedef struct conn_rec {
    struct conn_rec *prev, *next;
    struct MHD_Connection *conn;
    int fd;
    double since; /* the current request began (or the connection opened) */
    bool arrived; /* the current request has arrived whole */
} conn_rec;

struct http {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t lock; /* conns */
    conn_rec *conns;
    int live; /* requests begun and not completed (srv.lock) */
    MHD_socket quiesced_fd;
};

/* One HTTP request. */
typedef struct req {
    int endpoint;
    double t0;
    char method[12];
    char path[128];
    sbuf body;
    bool responded;
    bool submitted; /* the job went to the scheduler */
    size_t discarded; /* body bytes dropped past the limit */
    int status;
    srv_job *job;
    conn_rec *cr;
} req;

/* ---- responses ----------------------------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *conn, req *r, int status, const char *body, const char *ctype,
                               const char *h1, const char *v1, const char *h2, const char *v2) {
    size_t len = body ? strlen(body) : 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
    if (!resp) return MHD_NO;
    if (ctype) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (h1) MHD_add_response_header(resp, h1, v1);
    if (h2) MHD_add_response_header(resp, h2, v2);
    r->responded = true;
    r->status = status;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *conn, req *r, int status, char *json) {
    if (!json) {
        return respond(conn, r, 500, "{\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\",\"param\":null,"
                                     "\"code\":null}}", "application/json", NULL, NULL, NULL, NULL);
    }
    enum MHD_Result ret = respond(conn, r, status, json, "application/json", NULL, NULL, NULL, NULL);
    free(json);
    return ret;
}

/* An error in OpenAI's shape; close: the body was not read, end the connection. */
static enum MHD_Result respond_error(struct MHD_Connection *conn, req *r, const api_error *e, bool close,
                                     const char *h, const char *v) {
    char *json = api_error_json(e);
    const char *h2 = close ? MHD_HTTP_HEADER_CONNECTION : NULL;
    enum MHD_Result ret = respond(conn, r, e->status, json ? json : "{}", "application/json", h, v, h2, "close");
    free(json);
    return ret;
}

/* ---- routes ----------------------------------------------------------------------------------- */

typedef struct route {
    const char *path;
    int endpoint;
    bool post;   /* POST, else GET (and HEAD) */
    bool prefix; /* path is a prefix: /v1/models/{id} */
} route;

static const route routes[] = {
    {"/v1/chat/completions", EP_CHAT, true, false},
    {"/chat/completions", EP_CHAT, true, false},
    {"/v1/completions", EP_COMPLETIONS, true, false},
    {"/completions", EP_COMPLETIONS, true, false},
    {"/v1/models", EP_MODELS, false, false},
    {"/models", EP_MODELS, false, false},
    {"/v1/models/", EP_MODELS, false, true},
    {"/models/", EP_MODELS, false, true},
    {"/health", EP_HEALTH, false, false},
    {"/v1/health", EP_HEALTH, false, false},
    {"/metrics", EP_METRICS, false, false},
    {"/tokenize", EP_TOKENIZE, true, false},
    {"/detokenize", EP_DETOKENIZE, true, false},
};

static const route *find_route(const char *url) {
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *rt = &routes[i];
        if (rt->prefix ? !strncmp(url, rt->path, strlen(rt->path)) && url[strlen(rt->path)] : !strcmp(url, rt->path))
            return rt;
    }
    return NULL;
}

/* Constant-time comparison of the Authorization header with the key. */
static bool authorized(const srv *s, struct MHD_Connection *conn) {
    if (!s->cfg.api_key) return true;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7)) return false;
    h += 7;
    while (*h == ' ') h++;
    size_t a = strlen(h), b = strlen(s->cfg.api_key);
    unsigned diff = a != b;
    for (size_t i = 0; i < b; i++) diff |= (unsigned char)(i < a ? h[i] : 0) ^ (unsigned char)s->cfg.api_key[i];
    return diff == 0;
}

/* ---- streaming responses ------------------------------------------------------------------------ */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    srv_job *j = cls;
    srv *s = j->srv;
    pthread_mutex_lock(&s->lock);
    size_t avail = j->out.len - j->out_sent;
    if (avail) {
        size_t n = avail < max ? avail : max;
        memcpy(buf, j->out.p + j->out_sent, n);
        j->out_sent += n;
        if (j->out_sent == j->out.len) j->out.len = j->out_sent = 0;
        pthread_mutex_unlock(&s->lock);
        return (ssize_t)n;
    }
    if (j->finished || j->gone || !j->conn) {
        pthread_mutex_unlock(&s->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    /* nothing yet: park the connection until the scheduler has more */
    j->suspended = true;
    MHD_suspend_connection(j->conn);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void stream_free(void *cls) {
    srv_job *j = cls;
    srv *s = j->srv;
    pthread_mutex_lock(&s->lock);
    job_unref_locked(j);
    pthread_mutex_unlock(&s->lock);
}

void http_resume(void *conn) { MHD_resume_connection(conn); }

/* ---- generation requests --------------------------------------------------------------------------- */

static int conn_fd(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return ci ? (int)ci->connect_fd : -1;
}

static enum MHD_Result finish_waiting(srv *s, struct MHD_Connection *conn, req *r) {
    srv_job *j = r->job;
    pthread_mutex_lock(&s->lock);
    if (!j->finished) { /* not yet (a wake-up that raced): wait again */
        j->suspended = true;
        MHD_suspend_connection(conn);
        pthread_mutex_unlock(&s->lock);
        return MHD_YES;
    }
    char *body = j->body;
    j->body = NULL;
    int status = j->status ? j->status : 500;
    const char *retry = j->retry_after;
    pthread_mutex_unlock(&s->lock);
    enum MHD_Result ret = respond(conn, r, status, body ? body : "{}", "application/json",
                                  retry ? MHD_HTTP_HEADER_RETRY_AFTER : NULL, retry, NULL, NULL);
    free(body);
    return ret;
}

static enum MHD_Result generate(srv *s, struct MHD_Connection *conn, req *r) {
    api_error e;
    srv_job *j = api_parse_job(s, r->endpoint == EP_CHAT ? JOB_CHAT : JOB_COMPLETION, r->body.p ? r->body.p : "",
                               r->body.len, &e);
    sbuf_free(&r->body);
    if (!j) return respond_error(conn, r, &e, false, NULL, NULL);
    pthread_mutex_lock(&s->lock);
    j->refs = 1; /* the connection's */
    j->conn = conn;
    j->fd = conn_fd(conn);
    pthread_mutex_unlock(&s->lock);
    r->job = j;
    if (sched_submit(s, j, &e)) return respond_error(conn, r, &e, false, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    r->submitted = true;
    if (!j->par.stream) return finish_waiting(s, conn, r);

    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_reader, j,
                                                                  stream_free);
    if (!resp) {
        pthread_mutex_lock(&s->lock);
        j->gone = true; /* the scheduler drops it */
        pthread_mutex_unlock(&s->lock);
        return MHD_NO;
    }
    pthread_mutex_lock(&s->lock);
    j->refs++; /* the response's, dropped by stream_free */
    pthread_mutex_unlock(&s->lock);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    r->responded = true;
    r->status = 200;
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- the access handler --------------------------------------------------------------------------- */

static enum MHD_Result dispatch(srv *s, struct MHD_Connection *conn, req *r, const char *url) {
    api_error e;
    switch (r->endpoint) {
    case EP_CHAT:
    case EP_COMPLETIONS:
        return generate(s, conn, r);
    case EP_HEALTH:
        return respond(conn, r, 200, "{\"status\":\"ok\"}", "application/json", NULL, NULL, NULL, NULL);
    case EP_METRICS: {
        pthread_mutex_lock(&s->lock);
        char *text = metrics_render(s);
        pthread_mutex_unlock(&s->lock);
        enum MHD_Result ret = respond(conn, r, text ? 200 : 500, text ? text : "", "text/plain; version=0.0.4",
                                      NULL, NULL, NULL, NULL);
        free(text);
        return ret;
    }
    case EP_MODELS: {
        const char *id = NULL;
        if (!strncmp(url, "/v1/models/", 11)) id = url + 11;
        else if (!strncmp(url, "/models/", 8)) id = url + 8;
        char *json = api_models_json(s, id);
        if (!json) {
            api_fail(&e, 404, "invalid_request_error", "model", "model_not_found",
                     "The model '%.200s' does not exist.", id);
            return respond_error(conn, r, &e, false, NULL, NULL);
        }
        return respond_json(conn, r, 200, json);
    }
    case EP_TOKENIZE:
    case EP_DETOKENIZE: {
        char *json = r->endpoint == EP_TOKENIZE ? api_tokenize(s, r->body.p ? r->body.p : "", r->body.len, &e)
                                                : api_detokenize(s, r->body.p ? r->body.p : "", r->body.len, &e);
        sbuf_free(&r->body);
        if (!json) return respond_error(conn, r, &e, false, NULL, NULL);
        return respond_json(conn, r, 200, json);
    }
    default:
        api_fail(&e, 404, "invalid_request_error", NULL, NULL, "Invalid URL (%s %.200s)", r->method, r->path);
        return respond_error(conn, r, &e, false, NULL, NULL);
    }
}

/* The first call: headers only. Refuse what can be refused without the body. */
static enum MHD_Result on_headers(srv *s, struct MHD_Connection *conn, req *r, const char *url, const char *method) {
    api_error e;
    const route *rt = find_route(url);
    r->endpoint = rt ? rt->endpoint : EP_OTHER;
    bool is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    bool is_post = !strcmp(method, "POST");
    if (!rt) {
        api_fail(&e, 404, "invalid_request_error", NULL, "unknown_url", "Invalid URL (%s %.200s)", r->method, r->path);
        return respond_error(conn, r, &e, is_post, NULL, NULL);
    }
    if (rt->post ? !is_post : !is_get) {
        api_fail(&e, 405, "invalid_request_error", NULL, "method_not_allowed",
                 "Method %s is not allowed for %.200s; use %s.", r->method, r->path, rt->post ? "POST" : "GET");
        return respond_error(conn, r, &e, !is_get, "Allow", rt->post ? "POST" : "GET, HEAD");
    }
    if (r->endpoint != EP_HEALTH && !authorized(s, conn)) {
        api_fail(&e, 401, "invalid_request_error", NULL, "invalid_api_key",
                 "Incorrect API key provided. Send it as 'Authorization: Bearer KEY'.");
        return respond_error(conn, r, &e, is_post, "WWW-Authenticate", "Bearer");
    }
    if (is_post) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            unsigned long long n = strtoull(cl, &end, 10);
            if (end != cl && n > s->cfg.max_body) {
                api_fail(&e, 413, "invalid_request_error", NULL, "request_too_large",
                         "The request body of %llu bytes is larger than the limit of %zu bytes.", n, s->cfg.max_body);
                return respond_error(conn, r, &e, true, NULL, NULL);
            }
        }
    }
    bool needs_model = r->endpoint != EP_METRICS && r->endpoint != EP_MODELS;
    if (needs_model && !atomic_load(&s->ready)) {
        api_fail(&e, 503, "unavailable_error", NULL, "model_loading", "Loading model");
        return respond_error(conn, r, &e, is_post, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    }
    return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    srv *s = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        *con_cls = r;
        r->t0 = now_s();
        snprintf(r->method, sizeof r->method, "%s", method);
        char *p = utf8_sanitize(url, strlen(url));
        snprintf(r->path, sizeof r->path, "%s", p ? p : "?");
        free(p);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        r->cr = ci ? ci->socket_context : NULL;
        pthread_mutex_lock(&s->lock);
        s->http->live++;
        pthread_mutex_unlock(&s->lock);
        return on_headers(s, conn, r, url, method);
    }
    if (r->responded) { /* refused early: whatever body follows is dropped */
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->discarded || r->body.len + n > s->cfg.max_body) {
            /* a body without a Content-Length that grew past the limit: MHD
             * cannot answer in the middle of an upload, so the rest is
             * dropped as it comes and 413 follows at its end; past twice
             * the limit the connection is simply closed */
            r->discarded += r->body.len + n;
            sbuf_free(&r->body);
            return r->discarded / 2 > s->cfg.max_body ? MHD_NO : MHD_YES;
        }
        if (sbuf_add(&r->body, upload, n)) return MHD_NO;
        return MHD_YES;
    }
    if (r->discarded) {
        api_error e;
        api_fail(&e, 413, "invalid_request_error", NULL, "request_too_large",
                 "The request body is larger than the limit of %zu bytes.", s->cfg.max_body);
        return respond_error(conn, r, &e, true, NULL, NULL);
    }
    if (r->job) return finish_waiting(s, conn, r); /* resumed: the answer is ready */
    if (r->cr) {
        pthread_mutex_lock(&s->http->lock);
        r->cr->arrived = true;
        pthread_mutex_unlock(&s->http->lock);
    }
    return dispatch(s, conn, r, url);
}

/* ---- completion, logging, the watchdog -------------------------------------------------------------- */

static void log_request(srv *s, struct MHD_Connection *conn, req *r, enum MHD_RequestTerminationCode toe) {
    char addr[INET6_ADDRSTRLEN] = "?";
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof addr);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof addr);
    }
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", localtime_r(&t, &tm));
    char extra[160] = "";
    if (r->job && r->submitted) {
        srv_job *j = r->job;
        pthread_mutex_lock(&s->lock);
        int prompt = 0, cached = 0, gen = 0;
        for (int i = 0; i < j->n_choices; i++) {
            prompt += j->choices[i].n_prompt;
            cached += j->choices[i].n_reused;
            gen += j->choices[i].n_gen;
        }
        double ttft = j->t_first ? (j->t_first - j->t_start) * 1e3 : -1;
        snprintf(extra, sizeof extra, " prompt=%d cached=%d gen=%d ttft=%.0fms%s%s", prompt, cached, gen, ttft,
                 j->par.stream ? " stream" : "", j->gone || !j->finished ? " client-gone" : "");
        pthread_mutex_unlock(&s->lock);
    }
    fprintf(stderr, "%s %s \"%s %s\" %d %.1fms%s%s\n", stamp, addr, r->method, r->path, r->status,
            (now_s() - r->t0) * 1e3, extra, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended)");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
    srv *s = cls;
    req *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    if (!r->status) r->status = 499; /* the client went away before an answer */
    log_request(s, conn, r, toe);
    pthread_mutex_lock(&s->lock);
    metrics_count_request(&s->metrics, r->endpoint, r->status);
    if (r->job) {
        srv_job *j = r->job;
        j->conn = NULL;
        j->fd = -1;
        j->suspended = false;
        if (!j->finished && !j->gone) {
            j->gone = true;
            if (r->submitted) s->metrics.cancelled++;
        }
        job_unref_locked(j);
    }
    s->http->live--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->lock);
    if (r->cr) {
        pthread_mutex_lock(&s->http->lock);
        r->cr->since = now_s(); /* a kept-alive connection's next request starts now */
        r->cr->arrived = false;
        pthread_mutex_unlock(&s->http->lock);
    }
    sbuf_free(&r->body);
    free(r);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    srv *s = cls;
    struct http *h = s->http;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_rec *cr = calloc(1, sizeof *cr);
        *socket_context = cr;
        if (!cr) return;
        cr->conn = conn;
        cr->fd = conn_fd(conn);
        cr->since = now_s();
        pthread_mutex_lock(&h->lock);
        cr->next = h->conns;
        if (h->conns) h->conns->prev = cr;
        h->conns = cr;
        pthread_mutex_unlock(&h->lock);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_rec *cr = *socket_context;
        if (!cr) return;
        pthread_mutex_lock(&h->lock);
        if (cr->prev) cr->prev->next = cr->next;
        else h->conns = cr->next;
        if (cr->next) cr->next->prev = cr->prev;
        pthread_mutex_unlock(&h->lock);
        free(cr);
        *socket_context = NULL;
    }
}

void http_watchdog(srv *s) {
    struct http *h = s->http;
    if (!h) return;
    double t = now_s();
    pthread_mutex_lock(&h->lock);
    for (conn_rec *cr = h->conns; cr; cr = cr->next) {
        if (cr->arrived || cr->fd < 0 || t - cr->since <= s->cfg.timeout_s) continue;
        shutdown(cr->fd, SHUT_RDWR); /* MHD sees the end and closes it */
        cr->since = t;               /* once is enough */
    }
    pthread_mutex_unlock(&h->lock);
}

/* ---- start and stop -------------------------------------------------------------------------------------- */

int http_start(srv *s) {
    struct http *h = calloc(1, sizeof *h);
    if (!h) return -1;
    pthread_mutex_init(&h->lock, NULL);
    h->quiesced_fd = MHD_INVALID_SOCKET;
    s->http = h;

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", s->cfg.port);
    int gai = getaddrinfo(s->cfg.host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        fprintf(stderr, "edgeinfer serve: cannot resolve host '%s': %s\n", s->cfg.host, gai_strerror(gai));
        return -1;
    }
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, (uint16_t)s->cfg.port, NULL, NULL, on_access, s,
                            MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.http_threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.timeout_s,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)256,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                            MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->d) {
        fprintf(stderr, "edgeinfer serve: cannot listen on %s:%d (in use, or not an address of this machine)\n",
                s->cfg.host, s->cfg.port);
        return -1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : s->cfg.port;
    fprintf(stderr, "edgeinfer serve: listening on http://%s:%d\n", s->cfg.host, h->port);
    return 0;
}

void http_stop(srv *s, double wait_s) {
    struct http *h = s->http;
    if (!h) return;
    if (h->d) {
        if (h->quiesced_fd == MHD_INVALID_SOCKET) h->quiesced_fd = MHD_quiesce_daemon(h->d);
        double deadline = now_s() + wait_s;
        for (;;) {
            pthread_mutex_lock(&s->lock);
            int live = h->live;
            pthread_mutex_unlock(&s->lock);
            if (live == 0 || now_s() > deadline) break;
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
        MHD_stop_daemon(h->d);
        if (h->quiesced_fd != MHD_INVALID_SOCKET) close(h->quiesced_fd);
    }
    /* connections MHD closed at stop have told on_connection; anything left is freed here */
    while (h->conns) {
        conn_rec *cr = h->conns;
        h->conns = cr->next;
        free(cr);
    }
    pthread_mutex_destroy(&h->lock);
    free(h);
    s->http = NULL;
}

void http_quiesce(srv *s) {
    struct http *h = s->http;
    if (h && h->d && h->quiesced_fd == MHD_INVALID_SOCKET) h->quiesced_fd = MHD_quiesce_daemon(h->d);
}
