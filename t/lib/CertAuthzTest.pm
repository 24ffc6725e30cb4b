package CertAuthzTest;
# Helpers for the Apache::Test files: HTTPS requests with or without a client
# certificate from the test PKI, several requests on one TLS connection, and
# reading the server's logs.
use strict;
use warnings;

use Exporter 'import';
use IO::Socket::SSL ();
use LWP::UserAgent ();
use Apache::Test ();
use Apache::TestConfig ();

our @EXPORT = qw(pki port get_status get_response keepalive_statuses
                 ka_connect ka_get error_log_since error_log_mark t_path
                 log_fields);

sub t_path { Apache::Test::vars('t_dir') . '/' . join('/', @_) }
sub pki { t_path('pki', 'out', @_) }

sub port {
    my $vhost = shift;
    my $p = Apache::Test::vars($vhost . '_port')
        or die "no port for vhost $vhost";
    return $p;
}

sub _ua {
    my %o = @_;
    my %ssl = (SSL_ca_file => pki('ca.crt'), verify_hostname => 1);
    if ($o{cert}) {
        $ssl{SSL_cert_file} = pki("$o{cert}.crt");
        $ssl{SSL_key_file}  = pki("$o{cert}.key");
    }
    $ssl{SSL_version} = $o{tls} if $o{tls};
    return LWP::UserAgent->new(ssl_opts => \%ssl, timeout => 15,
                               keep_alive => 0);
}

# get_response(VHOST, PATH, cert => NAME) -> HTTP::Response
sub get_response {
    my ($vhost, $path, %o) = @_;
    my $url = 'https://localhost:' . port($vhost) . $path;
    return _ua(%o)->get($url, %{ $o{headers} || {} });
}

sub get_status { get_response(@_)->code }

# Several GETs on one TLS connection; returns the list of status codes and
# dies when the server closed the connection early.
# ka_connect(VHOST, cert => NAME, tls => VERSION) -> an open TLS connection;
# ka_get(SOCKET, PATH) -> the status of one request on it, its body read.
sub ka_connect {
    my ($vhost, %o) = @_;
    my %ssl = (PeerHost => '127.0.0.1', PeerPort => port($vhost),
               SSL_ca_file => pki('ca.crt'), SSL_hostname => 'localhost',
               SSL_verifycn_name => 'localhost', SSL_verifycn_scheme => 'http',
               Timeout => 15);
    if ($o{cert}) {
        $ssl{SSL_cert_file} = pki("$o{cert}.crt");
        $ssl{SSL_key_file}  = pki("$o{cert}.key");
    }
    $ssl{SSL_version} = $o{tls} if $o{tls};
    my $s = IO::Socket::SSL->new(%ssl)
        or die "connect: $IO::Socket::SSL::SSL_ERROR";
    return $s;
}

sub ka_get {
    my ($s, $path) = @_;
    print $s "GET $path HTTP/1.1\r\nHost: localhost\r\n\r\n";
    my $status = <$s>;
    defined $status or die "connection closed before $path";
    my ($code) = $status =~ m{^HTTP/1\.\d (\d+)} or die "bad status $status";
    my ($len, $chunked) = (0, 0);
    while (defined(my $h = <$s>)) {
        last if $h eq "\r\n";
        $len = $1 if $h =~ /^Content-Length:\s*(\d+)/i;
        $chunked = 1 if $h =~ /^Transfer-Encoding:\s*chunked/i;
    }
    if ($chunked) {
        while (1) {
            my $l = <$s>;
            my $n = hex $l;
            my $buf;
            read($s, $buf, $n + 2) if $n;
            if (!$n) { <$s>; last }
        }
    }
    elsif ($len) {
        my $buf;
        read($s, $buf, $len);
    }
    return $code;
}

sub keepalive_statuses {
    my ($vhost, $paths, %o) = @_;
    my $s = ka_connect($vhost, %o);
    my @codes = map { ka_get($s, $_) } @$paths;
    close $s;
    return @codes;
}

sub _error_log { Apache::Test::vars('t_logs') . '/error_log' }

# error_log_mark() -> offset; error_log_since(OFFSET) -> text appended since
sub error_log_mark { -s _error_log() || 0 }

sub error_log_since {
    my $off = shift;
    open my $fh, '<', _error_log() or return '';
    seek $fh, $off, 0;
    local $/;
    my $t = <$fh>;
    return defined $t ? $t : '';
}

# log_fields(LOG, OFFSET, PATH) -> the '|'-separated fields of the line of
# an access log LOG, written after OFFSET, that starts with "PATH|" (the
# line of an earlier request may land after the offset was taken); waits
# up to 5 s for it, and 0.2 s more so that the error log has the request's
# lines too.  () when there is none.
sub log_fields {
    my ($log, $off, $path) = @_;
    my $line;
    for (1 .. 50) {
        open my $fh, '<', $log or die "$log: $!";
        seek $fh, $off, 0;
        ($line) = grep { index($_, "$path|") == 0 } <$fh>;
        close $fh;
        last if defined $line;
        select undef, undef, undef, 0.1;
    }
    chomp $line if defined $line;
    select undef, undef, undef, 0.2;
    return split /\|/, $line // '';
}

1;
