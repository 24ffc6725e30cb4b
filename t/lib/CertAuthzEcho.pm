package CertAuthzEcho;
# A backend for the tests of forwarded identity (t/forward.t): an HTTP server
# on a Unix socket (t/logs/echo.sock, where t/conf/features/forward.conf.in
# points mod_proxy) that answers every request with the request head it
# received, byte for byte; and raw HTTP/1.1 requests over TLS, so that a
# test sends header names exactly as written (LWP would turn X_SSL_Client
# into X-SSL-Client).
use strict;
use warnings;

use Exporter 'import';
use IO::Socket::UNIX ();
use POSIX ();
use Socket qw(SOCK_STREAM);
use Apache::Test ();
use CertAuthzTest qw(ka_connect);

our @EXPORT = qw(echo_start echo_stop http_exchange raw_request head_fields);

sub _path { Apache::Test::vars('t_logs') . '/echo.sock' }

my $server_pid;

# echo_start() -> the server runs until echo_stop() or the test's end.
sub echo_start {
    my $path = _path();
    unlink $path;
    my $listen = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path,
                                       Listen => 128)
        or die "echo: $path: $!";
    # httpd's children (an unprivileged user) connect to it.
    chmod 0666, $path;
    $server_pid = fork;
    die "echo: fork: $!" unless defined $server_pid;
    if ($server_pid == 0) {
        # Never hold the test's output open: the harness waits for it.
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        $SIG{CHLD} = 'IGNORE';
        while (1) {
            my $c = $listen->accept or next;
            my $pid = fork;
            if (defined $pid && $pid == 0) {
                _serve($c);
                POSIX::_exit(0);
            }
            close $c;
        }
    }
    close $listen;
    return $server_pid;
}

sub _serve {
    my $c = shift;
    my $in = '';
    while ($in !~ /\r\n\r\n/) {
        my $n = sysread($c, my $buf, 65536);
        last unless $n;
        $in .= $buf;
    }
    my ($head) = $in =~ /\A(.*?\r\n)\r\n/s;
    $head //= $in;
    syswrite($c, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
             . 'Content-Length: ' . length($head) . "\r\nConnection: close\r\n\r\n"
             . $head);
    close $c;
}

sub echo_stop {
    # Called from END: the test's exit status is in $?.
    local $?;
    if ($server_pid) {
        kill 'TERM', $server_pid;
        waitpid $server_pid, 0;
        $server_pid = undef;
    }
    unlink _path();
}

END { echo_stop() }

# http_exchange(SOCKET, RAW) -> {code, headers => [[name, value]...], body}:
# one request written as given, one response read.
sub http_exchange {
    my ($s, $raw) = @_;
    print $s $raw;
    my $status = <$s>;
    return { code => 0, headers => [], body => '' } unless defined $status;
    my ($code) = $status =~ m{^HTTP/1\.\d (\d+)};
    my (@h, $len, $chunked);
    while (defined(my $l = <$s>)) {
        last if $l eq "\r\n";
        $l =~ s/\r\n\z//;
        my ($n, $v) = split /:\s*/, $l, 2;
        push @h, [$n, $v];
        $len = $v if lc $n eq 'content-length';
        $chunked = 1 if lc $n eq 'transfer-encoding' && $v =~ /chunked/i;
    }
    my $body = '';
    if ($chunked) {
        while (1) {
            my $size = <$s> // '0';
            $size =~ s/[;\r\n].*//s;
            my $n = hex $size;
            if (!$n) { <$s>; last }
            read($s, my $buf, $n + 2);
            $body .= substr($buf, 0, $n);
        }
    }
    elsif (defined $len) {
        read($s, $body, $len) if $len;
    }
    else {
        local $/;
        $body = <$s> // '';
    }
    return { code => $code // 0, headers => \@h, body => $body };
}

# raw_request(VHOST, RAW, cert => NAME) -> http_exchange's answer, on a new
# TLS connection.
sub raw_request {
    my ($vhost, $raw, %o) = @_;
    my $s = ka_connect($vhost, %o);
    my $r = http_exchange($s, $raw);
    close $s;
    return $r;
}

# head_fields(HEAD) -> [[name, value]...]: the header lines of a request
# head as the backend received it (after the request line).
sub head_fields {
    my $head = shift;
    my @lines = split /\r\n/, $head;
    shift @lines;
    return [map { [split /:[ \t]*/, $_, 2] } @lines];
}

1;
