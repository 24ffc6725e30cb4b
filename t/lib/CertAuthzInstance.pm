package CertAuthzInstance;
# Another httpd beside the test server, with a configuration a test writes
# (t/fleet.t: a second server of a fleet; t/crlurl.t: servers whose
# distribution point the test controls): the same httpd and build of
# mod_certauthz as the test server (the sanitizer ones in that pass of
# make test), the same modules (t/modules.conf), the test PKI's server
# certificate, one TLS virtual host on a free loopback port, and its own
# logs and DefaultRuntimeDir under t/logs/NAME.
use strict;
use warnings;

use Apache::Test ();
use IO::Socket::INET ();
use LWP::UserAgent ();
use POSIX ();
use Time::HiRes qw(sleep time);

sub _free_port {
    for (1 .. 200) {
        my $p = 30000 + int(rand(20000));
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $p,
                                      Proto => 'tcp', Listen => 1, ReuseAddr => 0)
            or next;
        close $s;
        return $p;
    }
    die "no free port\n";
}

sub free_port { _free_port() }

# new(name => NAME, vhost => TEXT): TEXT goes inside the virtual host.
sub new {
    my ($class, %o) = @_;
    my $top  = Apache::Test::vars('top_dir');
    my $dir  = Apache::Test::vars('t_logs') . "/$o{name}";
    my $asan = (Apache::Test::vars('defines') || '') =~ /CERTAUTHZ_ASAN/;
    my $self = bless { %o, dir => $dir, top => $top,
                       port => $o{port} || _free_port() }, $class;
    system('rm', '-rf', $dir);
    mkdir $dir or die "$dir: $!";
    mkdir "$dir/run" or die "$dir/run: $!";
    chmod 0755, $dir, "$dir/run";
    my $pki = "$top/t/pki/out";
    my $so = $asan ? "$top/build/asan/mod_certauthz.so" : "$top/.libs/mod_certauthz.so";
    my @user = $> == 0
        ? ("User " . Apache::Test::vars('user'), "Group " . Apache::Test::vars('group'))
        : ();
    $self->{conf} = "$dir/httpd.conf";
    open my $fh, '>', $self->{conf} or die "$self->{conf}: $!";
    print $fh map { "$_\n" } (
        qq{ServerRoot "$top/t"},
        qq{Include "$top/t/modules.conf"},
        qq{LoadModule certauthz_module "$so"},
        qq{ServerName localhost},
        qq{Listen 127.0.0.1:$self->{port}},
        qq{PidFile "$dir/httpd.pid"},
        qq{ErrorLog "$dir/error_log"},
        qq{DefaultRuntimeDir "$dir/run"},
        qq{ScriptSock "$dir/cgisock"},
        qq{DocumentRoot "$top/t/htdocs"},
        qq{TypesConfig /dev/null},
        @user,
        qq{LogLevel info ssl:warn},
        qq{SSLSessionCache none},
        qq{SSLRandomSeed startup builtin},
        $o{server} || '',
        qq{<VirtualHost 127.0.0.1:$self->{port}>},
        qq{    SSLEngine on},
        qq{    SSLCertificateFile "$pki/server.crt"},
        qq{    SSLCertificateKeyFile "$pki/server.key"},
        qq{    AliasMatch "^/p/" "$top/t/htdocs/ok.html"},
        $o{vhost},
        qq{</VirtualHost>},
    );
    close $fh;
    return $self;
}

sub port { $_[0]{port} }
sub dir  { $_[0]{dir} }

# httpd -t on the configuration: (exit status, output).
sub configtest {
    my $self = shift;
    my $httpd = Apache::Test::vars('httpd');
    my $out = `'$httpd' -t -f '$self->{conf}' 2>&1`;
    return ($? >> 8, $out);
}

# Start it; (1, '') once it answers on its port, or (0, what it said).
sub start {
    my $self = shift;
    my $httpd = Apache::Test::vars('httpd');
    my $out = `'$httpd' -f '$self->{conf}' -k start 2>&1`;
    return (0, $out) if $? != 0;
    my $end = time + 20;
    while (time < $end) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$self->{port}",
                                      Timeout => 1);
        if ($s && -s "$self->{dir}/httpd.pid") {
            close $s;
            $self->{started} = 1;
            return (1, '');
        }
        return (0, $out . $self->log_since(0))
            if !$s && ($self->_exited
                       || $self->log_since(0) =~ /Configuration Failed/);
        sleep 0.1;
    }
    return (0, "not answering after 20 s\n" . $self->log_since(0));
}

sub _exited {
    my $self = shift;
    my $pid = $self->pid or return 0;
    return !kill 0, $pid;
}

sub pid {
    my $self = shift;
    open my $fh, '<', "$self->{dir}/httpd.pid" or return undef;
    my $pid = <$fh>;
    return $pid && $pid =~ /(\d+)/ ? $1 : undef;
}

# A graceful restart: the configuration checked first (a broken one kills
# the server on USR1).
sub graceful {
    my $self = shift;
    my ($rc, $out) = $self->configtest;
    return (0, $out) if $rc != 0;
    my $pid = $self->pid or return (0, 'no pid');
    my $mark = $self->log_mark;
    kill 'USR1', $pid;
    my $end = time + 20;
    while (time < $end) {
        return (1, '') if $self->log_since($mark) =~ /resuming normal operations/;
        return (0, $self->log_since($mark)) unless kill 0, $pid;
        sleep 0.1;
    }
    return (0, "no restart after 20 s\n" . $self->log_since($mark));
}

sub stop {
    my $self = shift;
    my $pid = $self->pid;
    return unless $pid && $self->{started};
    kill 'TERM', $pid;
    my $end = time + 20;
    while (kill(0, $pid) && time < $end) { sleep 0.1 }
    $self->{started} = 0;
}

sub DESTROY { $_[0]->stop }

sub log_mark { -s "$_[0]{dir}/error_log" || 0 }

sub log_since {
    my ($self, $off) = @_;
    open my $fh, '<', "$self->{dir}/error_log" or return '';
    seek $fh, $off, 0;
    local $/;
    my $t = <$fh>;
    return defined $t ? $t : '';
}

# get_status(PATH, cert => PKI-NAME) -> HTTP status
sub get {
    my ($self, $path, %o) = @_;
    my $pki = "$self->{top}/t/pki/out";
    my %ssl = (SSL_ca_file => "$pki/ca.crt", verify_hostname => 1);
    if ($o{cert}) {
        $ssl{SSL_cert_file} = "$pki/$o{cert}.crt";
        $ssl{SSL_key_file}  = "$pki/$o{cert}.key";
    }
    my $ua = LWP::UserAgent->new(ssl_opts => \%ssl, timeout => 15, keep_alive => 0);
    return $ua->get("https://localhost:$self->{port}$path");
}

sub get_status { shift->get(@_)->code }

1;
