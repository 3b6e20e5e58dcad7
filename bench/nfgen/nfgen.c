/*
 * nfgen: NetFlow v9 load generator for FlowActors' end-to-end benchmark (bench/README.md, build.ps1 bench-e2e).
 *
 * Sends synthetic, benign NetFlow v9 export packets over UDP with current timestamps: internal hosts in 10.0.0.0/8
 * with Zipf popularity talking to external peers in 100.64.0.0/10 (and back), paced to a flow rate by one or more
 * sender threads. Each thread is its own exporter (source id base + thread), with its own sequence numbers and a
 * template every 256 datagrams. It only ever sends to the addresses given with --to (the benchmark uses loopback).
 *
 * At the end it prints "key value" lines on stdout (datagrams, flows, observations, elapsed, rate, ...), where
 * "observations" counts flow ends inside 10.0.0.0/8: what a collector monitoring that network should apply.
 *
 * nfgen --sink PORT --seconds S binds 127.0.0.1:PORT and reads nothing: the receiver for measuring the generator
 * alone (the kernel drops what does not fit the socket buffer, after the sender has paid the full send cost).
 *
 * Build: gcc -O2 -pthread -o nfgen nfgen.c -lm
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TARGETS 16
#define MAX_THREADS 16
#define MAX_PER_DATAGRAM 30
#define TEMPLATE_ID 256
#define BURST 32 /* most datagrams one sendmmsg call sends; bounds how far a burst runs ahead of the schedule */
#define TEMPLATE_EVERY 256

/* softflowd-like IPv4 template: 16 fields, 45-byte records (type, length pairs). */
static const uint16_t FIELDS[] = {
    8, 4,   /* IPV4_SRC_ADDR */
    12, 4,  /* IPV4_DST_ADDR */
    15, 4,  /* IPV4_NEXT_HOP */
    10, 2,  /* INPUT_SNMP */
    14, 2,  /* OUTPUT_SNMP */
    2, 4,   /* IN_PKTS */
    1, 4,   /* IN_BYTES */
    22, 4,  /* FIRST_SWITCHED */
    21, 4,  /* LAST_SWITCHED */
    7, 2,   /* L4_SRC_PORT */
    11, 2,  /* L4_DST_PORT */
    6, 1,   /* TCP_FLAGS */
    4, 1,   /* PROTOCOL */
    5, 1,   /* SRC_TOS */
    9, 1,   /* SRC_MASK */
    13, 1,  /* DST_MASK */
    16, 2,  /* SRC_AS */
    17, 2,  /* DST_AS */
};
#define FIELD_COUNT ((int)(sizeof(FIELDS) / sizeof(FIELDS[0]) / 2))

typedef struct {
    double *prob; /* Walker alias table: probability of keeping column i */
    uint32_t *alias;
    uint32_t n;
} alias_table;

typedef struct {
    struct sockaddr_in targets[MAX_TARGETS];
    int target_count;
    double rate;      /* flows per second over all threads; 0 = unpaced */
    double seconds;   /* run length when flows == 0 */
    long long flows;  /* flows to send over all threads; 0 = rate * seconds (or until seconds when unpaced) */
    uint32_t hosts;
    uint32_t peers;
    double zipf;
    int per_datagram;
    int threads;
    uint64_t seed;
    uint32_t source_id;
    int sweep;        /* every host once, in rank order, outbound only */
    int sndbuf;
} options;

typedef struct {
    int index;
    const options *opt;
    const alias_table *hosts;
    const alias_table *peers;
    long long flows_to_send;
    double thread_rate;
    /* results */
    long long datagrams, flows, observations, send_errors, max_lag_ns;
    int first_error;
} worker;

static struct timespec start_time;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t start_ns(void) { return (uint64_t)start_time.tv_sec * 1000000000ull + (uint64_t)start_time.tv_nsec; }

/* xoshiro-style state: splitmix64 (fast, good enough for load shaping, reproducible from the seed). */
static inline uint64_t next_u64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint32_t below(uint64_t *s, uint32_t n) { return (uint32_t)(((next_u64(s) >> 32) * (uint64_t)n) >> 32); }
static inline double unit(uint64_t *s) { return (double)(next_u64(s) >> 11) * (1.0 / 9007199254740992.0); }

/* Zipf(s) over ranks 0..n-1 (P(rank k) proportional to 1/(k+1)^s) as a Walker alias table: O(1) per draw. */
static int build_zipf(alias_table *t, uint32_t n, double s) {
    t->n = n;
    t->prob = malloc(sizeof(double) * n);
    t->alias = malloc(sizeof(uint32_t) * n);
    double *scaled = malloc(sizeof(double) * n);
    uint32_t *small = malloc(sizeof(uint32_t) * n), *large = malloc(sizeof(uint32_t) * n);
    if (!t->prob || !t->alias || !scaled || !small || !large) return -1;
    double sum = 0;
    for (uint32_t k = 0; k < n; k++) sum += pow((double)k + 1.0, -s);
    uint32_t ns = 0, nl = 0;
    for (uint32_t k = 0; k < n; k++) {
        scaled[k] = pow((double)k + 1.0, -s) / sum * n;
        if (scaled[k] < 1.0) small[ns++] = k; else large[nl++] = k;
    }
    while (ns > 0 && nl > 0) {
        uint32_t l = small[--ns], g = large[--nl];
        t->prob[l] = scaled[l];
        t->alias[l] = g;
        scaled[g] = (scaled[g] + scaled[l]) - 1.0;
        if (scaled[g] < 1.0) small[ns++] = g; else large[nl++] = g;
    }
    while (nl > 0) { uint32_t g = large[--nl]; t->prob[g] = 1.0; t->alias[g] = g; }
    while (ns > 0) { uint32_t l = small[--ns]; t->prob[l] = 1.0; t->alias[l] = l; }
    free(scaled); free(small); free(large);
    return 0;
}

static inline uint32_t draw(const alias_table *t, uint64_t *s) {
    uint32_t k = below(s, t->n);
    return unit(s) < t->prob[k] ? k : t->alias[k];
}

/* Rank -> address: an odd multiplier is a bijection modulo 2^24 (2^22), so popular hosts spread over the prefix. */
static inline uint32_t host_address(uint32_t rank) { return 0x0A000000u | ((rank * 2654435761u + 1u) & 0x00FFFFFFu); }
static inline uint32_t peer_address(uint32_t rank) { return 0x64400000u | ((rank * 2246822519u + 7u) & 0x003FFFFFu); }

static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }

static inline uint16_t ephemeral(uint64_t *s) { return (uint16_t)(32768 + below(s, 28232)); }

/* Heavy-tailed packet count: most flows are short, a few carry a lot. */
static inline uint32_t tcp_packets(uint64_t *s) {
    double u = unit(s);
    double p = 2.0 / pow(1.0 - u * 0.9999, 0.8); /* Pareto-like, 2 .. ~3,000 */
    return (uint32_t)p;
}

/*
 * One record. Mix: 44 % internal client -> external server, 44 % the server's answer (external -> internal),
 * 6 % internal <-> internal (DNS, LDAP, SMB to internal servers: two monitored ends), 6 % unsolicited inbound to
 * internal hosts (SSH, HTTPS). Returns the number of monitored ends (1 or 2).
 */
static int write_record(uint8_t *r, const worker *w, uint64_t *s, uint32_t uptime, long long sweep_rank) {
    const options *o = w->opt;
    uint32_t host_rank = sweep_rank >= 0 ? (uint32_t)(sweep_rank % o->hosts) : draw(w->hosts, s);
    uint32_t host = host_address(host_rank);
    uint32_t kind = sweep_rank >= 0 ? 0 : below(s, 100);
    uint32_t service = below(s, 100);
    uint16_t server_port;
    uint8_t proto;
    if (service < 58) { server_port = 443; proto = 6; }
    else if (service < 72) { server_port = 80; proto = 6; }
    else if (service < 88) { server_port = 53; proto = 17; }
    else if (service < 91) { server_port = 123; proto = 17; }
    else if (service < 95) { server_port = 443; proto = 17; } /* QUIC */
    else if (service < 97) { server_port = 22; proto = 6; }
    else { server_port = (uint16_t)(1024 + below(s, 20000)); proto = 6; }
    uint32_t src, dst;
    uint16_t sport, dport;
    int ends = 1;
    uint16_t client_port = ephemeral(s);
    if (kind < 44) { src = host; dst = peer_address(draw(w->peers, s)); sport = client_port; dport = server_port; }
    else if (kind < 88) { src = peer_address(draw(w->peers, s)); dst = host; sport = server_port; dport = client_port; }
    else if (kind < 94) {
        static const uint16_t internal_ports[] = {53, 389, 445, 88, 3389, 443};
        src = host;
        uint32_t server_rank = draw(w->hosts, s);
        if (server_rank == host_rank) server_rank = (server_rank + 1) % w->hosts->n; /* a host does not talk to itself */
        dst = host_address(server_rank);
        sport = client_port;
        dport = internal_ports[below(s, 6)];
        proto = dport == 53 ? 17 : 6;
        ends = dst == src ? 1 : 2;
    } else {
        src = peer_address(draw(w->peers, s)); dst = host; sport = client_port;
        dport = below(s, 2) ? 22 : 443; proto = 6;
    }
    uint32_t packets, bytes;
    uint8_t flags = 0;
    if (proto == 6) {
        packets = tcp_packets(s);
        uint32_t size = below(s, 4) == 0 ? 40 + below(s, 60) : 500 + below(s, 1000);
        bytes = packets * size;
        uint32_t f = below(s, 100);
        flags = f < 90 ? 0x1B : f < 96 ? 0x02 : f < 99 ? 0x14 : 0x18; /* complete, SYN only, RST|ACK, PSH|ACK */
    } else {
        packets = 1 + below(s, 3);
        bytes = packets * (60 + below(s, server_port == 443 ? 1200 : 400));
    }
    uint32_t last = uptime - below(s, 1000);              /* ended within the last second */
    uint32_t first = last - below(s, packets > 10 ? 60000 : 5000);
    put32(r, src);
    put32(r + 4, dst);
    put32(r + 8, 0);
    put16(r + 12, (uint16_t)(1 + below(s, 4)));
    put16(r + 14, (uint16_t)(5 + below(s, 4)));
    put32(r + 16, packets);
    put32(r + 20, bytes);
    put32(r + 24, first);
    put32(r + 28, last);
    put16(r + 32, sport);
    put16(r + 34, dport);
    r[36] = flags;
    r[37] = proto;
    r[38] = 0;
    r[39] = (src >> 24) == 10 ? 24 : 0;
    r[40] = (dst >> 24) == 10 ? 24 : 0;
    put16(r + 41, (src >> 24) == 10 ? 0 : (uint16_t)(64496 + (src & 0x3FF)));
    put16(r + 43, (dst >> 24) == 10 ? 0 : (uint16_t)(64496 + (dst & 0x3FF)));
    return ends;
}

static int template_length(void) { return 4 + 4 + FIELD_COUNT * 4; }

static int record_length(void) {
    int n = 0;
    for (int i = 0; i < FIELD_COUNT; i++) n += FIELDS[2 * i + 1];
    return n;
}

/* Writes one export packet; returns its length. */
static int write_packet(uint8_t *buf, const worker *w, uint64_t *s, int records, int with_template, uint32_t sequence,
                        uint32_t source_id, long long *sweep_next, int *observations) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint32_t uptime = (uint32_t)((now_ns() - start_ns()) / 1000000ull) + 3600000u; /* exporter "up" for an hour */
    int pos = 20;
    if (with_template) {
        put16(buf + pos, 0);
        put16(buf + pos + 2, (uint16_t)template_length());
        put16(buf + pos + 4, TEMPLATE_ID);
        put16(buf + pos + 6, FIELD_COUNT);
        int p = pos + 8;
        for (int i = 0; i < FIELD_COUNT * 2; i++, p += 2) put16(buf + p, FIELDS[i]);
        pos += template_length();
    }
    int data = pos;
    int rl = record_length();
    put16(buf + pos, TEMPLATE_ID);
    pos += 4;
    int obs = 0;
    for (int i = 0; i < records; i++) {
        long long rank = -1;
        if (w->opt->sweep) rank = (*sweep_next)++;
        obs += write_record(buf + pos, w, s, uptime, rank);
        pos += rl;
    }
    while ((pos - data) % 4 != 0) buf[pos++] = 0; /* RFC 3954 5.3: pad the flowset to 32 bits */
    put16(buf + data + 2, (uint16_t)(pos - data));
    put16(buf, 9);
    put16(buf + 2, (uint16_t)(records + (with_template ? 1 : 0)));
    put32(buf + 4, uptime);
    put32(buf + 8, (uint32_t)now.tv_sec);
    put32(buf + 12, sequence);
    put32(buf + 16, source_id);
    *observations = obs;
    return pos;
}

/*
 * Sleeps until the next datagram is due, but at least MIN_SLEEP_NS: no spinning, so the generator leaves the CPU to
 * the collector it shares the machine with. The schedule is absolute (flows sent vs. time since start), so oversleeping
 * only makes the next burst bigger (bounded by BURST per call), never the average rate lower.
 */
#define MIN_SLEEP_NS 200000ull
static void sleep_until(uint64_t due) {
    uint64_t t = now_ns();
    if (due < t + MIN_SLEEP_NS) due = t + MIN_SLEEP_NS;
    struct timespec ts = {(time_t)(due / 1000000000ull), (long)(due % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) { }
}

static void *run_worker(void *arg) {
    worker *w = arg;
    const options *o = w->opt;
    int fds[MAX_TARGETS];
    for (int t = 0; t < o->target_count; t++) {
        fds[t] = socket(AF_INET, SOCK_DGRAM, 0);
        if (fds[t] < 0) { w->first_error = errno; return NULL; }
        setsockopt(fds[t], SOL_SOCKET, SO_SNDBUF, &o->sndbuf, sizeof(o->sndbuf));
        if (connect(fds[t], (const struct sockaddr *)&o->targets[t], sizeof(o->targets[t])) != 0) { w->first_error = errno; return NULL; }
    }
    uint64_t s = o->seed * 0x100000001B3ull + (uint64_t)w->index * 0x9E3779B97F4A7C15ull + 1;
    size_t cap = 20 + (size_t)template_length() + 4 + (size_t)MAX_PER_DATAGRAM * (size_t)record_length() + 4;
    uint8_t *bufs = malloc(cap * BURST);
    struct mmsghdr msgs[BURST];
    struct iovec iov[BURST];
    int msg_obs[BURST], msg_records[BURST];
    uint32_t sequence[MAX_TARGETS] = {0};
    long long sent_per_target[MAX_TARGETS] = {0};
    long long sweep_next = 0;
    if (o->sweep) {
        /* Threads sweep disjoint slices of the ranks so that, together, every host is sent once per pass. */
        sweep_next = (long long)o->hosts * w->index / o->threads;
    }
    double ns_per_flow = w->thread_rate > 0 ? 1e9 / w->thread_rate : 0;
    uint64_t begin = now_ns();
    uint64_t stop = o->seconds > 0 ? begin + (uint64_t)(o->seconds * 1e9) : UINT64_MAX;
    long long flows = 0;
    int target = 0;
    while (w->flows_to_send == 0 ? now_ns() < stop : flows < w->flows_to_send) {
        int n = 0;
        long long queued = flows;
        /* How many datagrams are due now (paced), at most BURST. */
        int due = BURST;
        if (ns_per_flow > 0) {
            uint64_t t = now_ns();
            double owed = (double)(t - begin) / ns_per_flow - (double)queued;
            if (owed < o->per_datagram) {
                sleep_until(begin + (uint64_t)(((double)queued + o->per_datagram) * ns_per_flow));
                owed = (double)(now_ns() - begin) / ns_per_flow - (double)queued;
            } else {
                uint64_t lag = (uint64_t)((owed - o->per_datagram) * ns_per_flow);
                if ((long long)lag > w->max_lag_ns) w->max_lag_ns = (long long)lag;
            }
            due = (int)(owed / o->per_datagram);
            if (due > BURST) due = BURST;
            if (due < 1) due = 1;
        }
        int burst_target = target;
        while (n < due && (w->flows_to_send == 0 || queued < w->flows_to_send)) {
            int records = o->per_datagram;
            if (w->flows_to_send > 0 && w->flows_to_send - queued < records) records = (int)(w->flows_to_send - queued);
            uint8_t *b = bufs + cap * (size_t)n;
            int with_template = sent_per_target[burst_target] % TEMPLATE_EVERY == 0;
            int len = write_packet(b, w, &s, records, with_template, sequence[burst_target]++,
                                   o->source_id + (uint32_t)w->index, &sweep_next, &msg_obs[n]);
            sent_per_target[burst_target]++;
            iov[n].iov_base = b;
            iov[n].iov_len = (size_t)len;
            memset(&msgs[n].msg_hdr, 0, sizeof(msgs[n].msg_hdr));
            msgs[n].msg_hdr.msg_iov = &iov[n];
            msgs[n].msg_hdr.msg_iovlen = 1;
            msg_records[n] = records;
            queued += records;
            n++;
            if (o->target_count > 1) break; /* one datagram per call when rotating targets: sockets differ */
        }
        int done = 0;
        while (done < n) {
            int r = sendmmsg(fds[burst_target], msgs + done, (unsigned)(n - done), 0);
            if (r < 0) {
                if (errno == EINTR) continue;
                /* ECONNREFUSED (nothing bound yet) or ENOBUFS: count the datagram as not sent and move on. */
                if (!w->first_error) w->first_error = errno;
                w->send_errors++;
                done++;
                continue;
            }
            for (int i = done; i < done + r; i++) {
                w->datagrams++;
                w->flows += msg_records[i];
                w->observations += msg_obs[i];
            }
            done += r;
        }
        flows = queued;
        target = (target + 1) % o->target_count;
    }
    free(bufs);
    for (int t = 0; t < o->target_count; t++) close(fds[t]);
    return NULL;
}

static int parse_target(const char *text, struct sockaddr_in *out) {
    char host[64];
    const char *colon = strrchr(text, ':');
    if (!colon || colon - text >= (long)sizeof(host)) return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_INET;
    int port = atoi(colon + 1);
    if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &out->sin_addr) != 1) return -1;
    out->sin_port = htons((uint16_t)port);
    return 0;
}

static void usage(void) {
    fprintf(stderr,
        "usage: nfgen --to HOST:PORT[,HOST:PORT...] [--rate FLOWS_PER_S] [--seconds S | --flows N] [--hosts N]\n"
        "             [--peers N] [--zipf S] [--per-datagram N] [--threads N] [--seed N] [--source-id N] [--sweep]\n"
        "       nfgen --sink PORT --seconds S [--rcvbuf BYTES]\n"
        "  --rate 0 sends as fast as it can. --sweep sends every host once in rank order (outbound flows only).\n"
        "  Defaults: --hosts 50000 --peers 200000 --zipf 1.1 --per-datagram 28 --threads 1 --seconds 10.\n");
}

static int run_sink(int port, double seconds, int rcvbuf) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) { perror("nfgen --sink: bind"); return 1; }
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    printf("port %d\n", ntohs(a.sin_port));
    fflush(stdout);
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    options o = {0};
    o.hosts = 50000; o.peers = 200000; o.zipf = 1.1; o.per_datagram = 28; o.threads = 1; o.seed = 1;
    o.seconds = 10; o.sndbuf = 4 * 1024 * 1024;
    int sink = -1, rcvbuf = 0, have_seconds = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(); return 0; }
        if (!strcmp(a, "--sweep")) { o.sweep = 1; continue; }
        if (i + 1 >= argc) { fprintf(stderr, "nfgen: option %s needs a value\n", a); return 2; }
        const char *v = argv[++i];
        if (!strcmp(a, "--to")) {
            char copy[1024];
            snprintf(copy, sizeof(copy), "%s", v);
            for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (o.target_count >= MAX_TARGETS || parse_target(tok, &o.targets[o.target_count]) != 0) {
                    fprintf(stderr, "nfgen: '%s' is not a valid --to (IPv4:PORT, at most %d, comma-separated)\n", tok, MAX_TARGETS);
                    return 2;
                }
                o.target_count++;
            }
        }
        else if (!strcmp(a, "--rate")) o.rate = atof(v);
        else if (!strcmp(a, "--seconds")) { o.seconds = atof(v); have_seconds = 1; }
        else if (!strcmp(a, "--flows")) o.flows = atoll(v);
        else if (!strcmp(a, "--hosts")) o.hosts = (uint32_t)atol(v);
        else if (!strcmp(a, "--peers")) o.peers = (uint32_t)atol(v);
        else if (!strcmp(a, "--zipf")) o.zipf = atof(v);
        else if (!strcmp(a, "--per-datagram")) o.per_datagram = atoi(v);
        else if (!strcmp(a, "--threads")) o.threads = atoi(v);
        else if (!strcmp(a, "--seed")) o.seed = (uint64_t)atoll(v);
        else if (!strcmp(a, "--source-id")) o.source_id = (uint32_t)atol(v);
        else if (!strcmp(a, "--sink")) sink = atoi(v);
        else if (!strcmp(a, "--rcvbuf")) rcvbuf = atoi(v);
        else if (!strcmp(a, "--sndbuf")) o.sndbuf = atoi(v);
        else { fprintf(stderr, "nfgen: unknown option %s\n", a); usage(); return 2; }
    }
    if (sink >= 0) return run_sink(sink, o.seconds, rcvbuf);
    if (o.target_count == 0) { fprintf(stderr, "nfgen: --to HOST:PORT is required\n"); return 2; }
    if (o.hosts < 1 || o.hosts > 16000000 || o.peers < 1 || o.peers > 4000000) { fprintf(stderr, "nfgen: --hosts must be 1..16,000,000 and --peers 1..4,000,000\n"); return 2; }
    if (o.per_datagram < 1 || o.per_datagram > MAX_PER_DATAGRAM) { fprintf(stderr, "nfgen: --per-datagram must be 1..%d\n", MAX_PER_DATAGRAM); return 2; }
    if (o.threads < 1 || o.threads > MAX_THREADS) { fprintf(stderr, "nfgen: --threads must be 1..%d\n", MAX_THREADS); return 2; }
    if (o.rate < 0 || o.zipf <= 0) { fprintf(stderr, "nfgen: --rate must be >= 0 and --zipf > 0\n"); return 2; }
    if (o.flows > 0 && have_seconds) { fprintf(stderr, "nfgen: give --seconds or --flows, not both\n"); return 2; }
    if (o.flows == 0 && o.rate > 0) o.flows = (long long)(o.rate * o.seconds + 0.5);
    if (o.flows > 0) o.seconds = 0;

    alias_table hosts, peers;
    if (build_zipf(&hosts, o.hosts, o.zipf) != 0 || build_zipf(&peers, o.peers, o.zipf) != 0) { fprintf(stderr, "nfgen: out of memory\n"); return 1; }
    clock_gettime(CLOCK_MONOTONIC, &start_time);

    worker w[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    memset(w, 0, sizeof(w));
    for (int t = 0; t < o.threads; t++) {
        w[t].index = t; w[t].opt = &o; w[t].hosts = &hosts; w[t].peers = &peers;
        w[t].flows_to_send = o.flows > 0 ? o.flows / o.threads + (t < o.flows % o.threads ? 1 : 0) : 0;
        w[t].thread_rate = o.rate / o.threads;
    }
    uint64_t begin = now_ns();
    for (int t = 0; t < o.threads; t++) pthread_create(&th[t], NULL, run_worker, &w[t]);
    long long datagrams = 0, flows = 0, observations = 0, errors = 0, lag = 0;
    int first_error = 0;
    for (int t = 0; t < o.threads; t++) {
        pthread_join(th[t], NULL);
        datagrams += w[t].datagrams; flows += w[t].flows; observations += w[t].observations; errors += w[t].send_errors;
        if (w[t].max_lag_ns > lag) lag = w[t].max_lag_ns;
        if (!first_error) first_error = w[t].first_error;
    }
    double elapsed = (double)(now_ns() - begin) / 1e9;
    printf("datagrams %lld\nflows %lld\nobservations %lld\nsend_errors %lld\n", datagrams, flows, observations, errors);
    if (first_error) printf("first_error %s\n", strerror(first_error));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("cpu_seconds %.3f\n", (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    printf("elapsed %.6f\nrate %.0f\noffered %.0f\nmax_lag_ms %.3f\nthreads %d\nhosts %u\npeers %u\nrecord_bytes %d\n",
           elapsed, flows / (elapsed > 0 ? elapsed : 1e-9), o.rate, lag / 1e6, o.threads, o.hosts, o.peers, record_length());
    return 0;
}
