package CertAuthzCRLServer;
# A CA's distribution point for t/crlurl.t: a small HTTP or HTTPS server
# in a process of its own, serving DIR/body at any path with an ETag and a
# Last-Modified, answering conditional GETs with 304, and misbehaving as
# DIR/mode says (read at each request):
#
#   ok                the body, validators, 304 when they match
#   noval             the body, no validators
#   garbage           200 with text that is no revocation list
#   truncated         a Content-Length larger than what is sent
#   oversized         200 with a 100 KiB body (Content-Length given)
#   oversized-stream  the same without Content-Length (read to the end)
#   slow              the body a few bytes a second
#   error             500
#
# Each request is a line of DIR/requests.log: "GET PATH inm=... ims=...
# status=NNN".
use strict;
use warnings;

use Digest::SHA qw(sha1_hex);
use HTTP::Date qw(time2str str2time);
use IO::Socket::INET ();
use IO::Socket::SSL ();
use POSIX ();
use Time::HiRes qw(sleep);

sub _slurp {
    open my $fh, '<:raw', $_[0] or return undef;
    local $/;
    my $t = <$fh>;
    return defined $t ? $t : '';
}

# new(dir => DIR, tls => {SSL_cert_file => ..., SSL_key_file => ...}?)
sub new {
    my ($class, %o) = @_;
    my $self = bless {%o}, $class;
    mkdir $o{dir};
    $self->mode('ok');
    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                       Proto => 'tcp', Listen => 16, ReuseAddr => 1)
        or die "listen: $!";
    $self->{port} = $listen->sockport;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        eval { $self->_serve($listen) };
        POSIX::_exit(0);
    }
    close $listen;
    $self->{pid} = $pid;
    return $self;
}

sub port { $_[0]{port} }
sub url {
    my ($self, $path) = @_;
    return ($self->{tls} ? 'https://localhost:' : 'http://127.0.0.1:')
        . $self->{port} . ($path // '/crl.pem');
}

sub mode {
    my ($self, $mode) = @_;
    open my $fh, '>', "$self->{dir}/mode.tmp" or die $!;
    print $fh $mode;
    close $fh;
    rename "$self->{dir}/mode.tmp", "$self->{dir}/mode" or die $!;
}

# Serve BYTES from now on (mtime: now, or the given time).
sub body {
    my ($self, $bytes, $mtime) = @_;
    open my $fh, '>:raw', "$self->{dir}/body.tmp" or die $!;
    print $fh $bytes;
    close $fh;
    utime $mtime, $mtime, "$self->{dir}/body.tmp" if defined $mtime;
    rename "$self->{dir}/body.tmp", "$self->{dir}/body" or die $!;
}

sub requests {
    my $t = _slurp("$_[0]{dir}/requests.log");
    return defined $t ? $t : '';
}

sub stop {
    my $self = shift;
    return unless $self->{pid};
    kill 'TERM', $self->{pid};
    waitpid $self->{pid}, 0;
    $self->{pid} = undef;
}

sub DESTROY { $_[0]->stop }

sub _serve {
    my ($self, $listen) = @_;
    $SIG{PIPE} = 'IGNORE';
    while (my $c = $listen->accept) {
        if ($self->{tls}) {
            IO::Socket::SSL->start_SSL($c, SSL_server => 1, %{ $self->{tls} })
                or next;
        }
        eval { $self->_one($c) };
        close $c;
    }
}

sub _log {
    my ($self, $line) = @_;
    open my $fh, '>>', "$self->{dir}/requests.log" or return;
    print $fh "$line\n";
    close $fh;
}

sub _one {
    my ($self, $c) = @_;
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 10;
    my $req = <$c>;
    return unless defined $req;
    my ($method, $path) = $req =~ m{^(\S+) (\S+)};
    my %h;
    while (defined(my $l = <$c>)) {
        last if $l =~ /^\r?\n$/;
        $h{lc $1} = $2 if $l =~ /^([^:]+):\s*(.*?)\r?\n$/;
    }
    alarm 0;
    my $mode = _slurp("$self->{dir}/mode") // 'ok';
    my $body = _slurp("$self->{dir}/body") // '';
    my $mtime = (stat "$self->{dir}/body")[9] || time;
    my $etag = '"' . sha1_hex($body) . '"';
    my $inm = $h{'if-none-match'} // '-';
    my $ims = $h{'if-modified-since'} // '-';
    my $say = sub {
        my ($status, $hdrs, $content) = @_;
        $self->_log("$method $path inm=$inm ims=$ims status=$status mode=$mode");
        print $c "HTTP/1.1 $status X\r\nConnection: close\r\n$hdrs\r\n";
        print $c $content if defined $content;
    };
    if ($mode eq 'ok' || $mode eq 'noval') {
        my $val = $mode eq 'ok'
            ? "ETag: $etag\r\nLast-Modified: " . time2str($mtime) . "\r\n" : '';
        my $fresh = $mode eq 'ok'
            && ($inm ne '-' ? $inm eq $etag
                : $ims ne '-' && (str2time($ims) // 0) >= $mtime);
        return $say->(304, $val) if $fresh;
        return $say->(200, $val . 'Content-Length: ' . length($body) . "\r\n", $body);
    }
    if ($mode eq 'garbage') {
        my $g = "<html>this is not a revocation list</html>\n";
        return $say->(200, 'Content-Length: ' . length($g) . "\r\n", $g);
    }
    if ($mode eq 'truncated') {
        return $say->(200, 'Content-Length: ' . (length($body) + 1000) . "\r\n",
                      substr($body, 0, int(length($body) / 2)));
    }
    if ($mode eq 'oversized') {
        my $big = "00\n" x 40000;
        return $say->(200, 'Content-Length: ' . length($big) . "\r\n", $big);
    }
    if ($mode eq 'oversized-stream') {
        $say->(200, '');
        for (1 .. 40) { print $c "00\n" x 1000 or return }
        return;
    }
    if ($mode eq 'slow') {
        $say->(200, 'Content-Length: ' . length($body) . "\r\n");
        for my $i (0 .. length($body) - 1) {
            print $c substr($body, $i, 1) or return;
            $c->flush or return;
            sleep 0.25;
        }
        return;
    }
    return $say->(500, "Content-Length: 0\r\n");
}

1;
