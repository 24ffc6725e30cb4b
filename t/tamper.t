# Code running as the server's User (a CGI without suexec, a subverted
# child) cannot change what the module keeps: the index directory and its
# files belong to the loader's user, the source table is mapped read-only
# in every child, and a revoked device stays refused whatever that code
# tries.  Needs root (the children then run as another user).
use strict;
use warnings;
use Apache::Test qw(-withtestmore);
use CertAuthzTest;
use Time::HiRes qw(sleep time);

plan skip_all => 'needs root: without it the children run as the same user'
    if $> != 0;
my $setpriv = `sh -c 'command -v setpriv'`;
chomp $setpriv;
plan skip_all => 'setpriv (util-linux) is not installed' unless $setpriv;
plan tests => 12;

my $logs = Apache::Test::vars('t_logs');
my $dir = "$logs/certauthz-index";
my $user = Apache::Test::vars('user') || 'nobody';
my $group = (getgrgid((getpwnam($user))[3]))[0] // 'nogroup';

# Run perl code as the User; returns its output.
sub as_user {
    my ($code) = @_;
    open my $fh, '-|', $setpriv, "--reuid=$user", "--regid=$group",
        '--clear-groups', $^X, '-e', $code or die "setpriv: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return $out;
}

ok(-d $dir, 'the index directory exists');
my @st = stat $dir;
is($st[4], 0, 'it belongs to root (the loader\'s user)');
is($st[2] & 022, 0, 'it is writable by its owner alone');
opendir my $dh, $dir or die "$dir: $!";
my @files = grep { /\.idx$/ } readdir $dh;
closedir $dh;
ok(@files > 0, 'it holds the compiled indexes (' . scalar(@files) . ')');
my $victim = "$dir/$files[0]";

is(get_status('rev_formats', '/p/valid', cert => 'rv_list'), 403,
   'before: a revoked device is refused');

# Everything the User could try on the directory and its files.
my $out = as_user(<<"PERL");
my \$d = '$dir'; my \$v = '$victim'; my \@ok;
push \@ok, 'create' if open(my \$f, '>', "\$d/planted.idx");
push \@ok, 'truncate' if open(my \$g, '+<', \$v) && truncate(\$g, 0);
push \@ok, 'append' if open(my \$h, '>>', \$v);
push \@ok, 'unlink' if unlink \$v;
push \@ok, 'rename' if rename \$v, "\$v.x";
push \@ok, 'chmod' if chmod 0666, \$v;
push \@ok, 'symlink' if symlink '/etc/passwd', "\$d/link.idx";
push \@ok, 'fifo' if system('mkfifo', "\$d/fifo.idx") == 0;
print join(',', \@ok) || 'none';
PERL
is($out, 'none', 'as the User: nothing in the index directory can be '
   . 'created, truncated, appended to, removed, renamed, made writable, '
   . 'linked or replaced by a FIFO');

# The source table: read-only in every child (r--s), writable only in the
# loader (rw-s).
my @kids = `ps -o pid= --ppid \$(cat $logs/httpd.pid)`;
chomp @kids;
s/^\s+// for @kids;
my (%perm_child, %perm_loader);
for my $pid (@kids) {
    open my $m, '<', "/proc/$pid/maps" or next;
    my @maps = grep { /certauthz-sources/ } <$m>;
    close $m;
    my ($owner) = (stat "/proc/$pid")[4];
    for (@maps) {
        my $perm = (split)[1];
        if ($owner == 0) { $perm_loader{$perm}++ } else { $perm_child{$perm}++ }
    }
}
is(join(',', sort keys %perm_child), 'r--s',
   'every child maps the source table read-only and shared');
ok(exists $perm_loader{'rw-s'}, 'the loader (root) holds the writable mapping');

# Writing the table through /proc/PID/mem of a child, as the User: refused
# (the children are not dumpable, and the mapping could not be written even
# with ptrace's force: it is shared and was never writable in them).
# (A child of the server, not mod_cgid's daemon, which has no table.)
my ($child, $addr);
for my $pid (grep { (stat "/proc/$_")[4] != 0 } @kids) {
    open my $m, '<', "/proc/$pid/maps" or next;
    my ($a) = map { /^([0-9a-f]+)-/ ? $1 : () } grep { /certauthz-sources/ } <$m>;
    ($child, $addr) = ($pid, $a) if defined $a && !defined $child;
}
defined $child or BAIL_OUT('no child maps the source table');
$out = as_user(<<"PERL");
my \$w;
if (!open(\$w, '+<', "/proc/$child/mem")) { print "refused: open: \$!"; exit }
if (!sysseek(\$w, hex('$addr'), 0)) { print "refused: seek: \$!"; exit }
print syswrite(\$w, "X") ? 'written' : "refused: write: \$!";
PERL
like($out, qr/^refused/,
     "as the User: writing the source table through /proc/PID/mem of a child is refused ($out)");

is(get_status('rev_formats', '/p/valid', cert => 'rv_list'), 403,
   'after: the revoked device is still refused');

# configtest and a graceful restart still finish: the configuration test
# with the running server's own command line first (a broken configuration
# on USR1 would stop the server), then the restart.
my $pid = `cat $logs/httpd.pid`;
chomp $pid;
my @cmd = do {
    open my $c, '<', "/proc/$pid/cmdline" or die "cmdline: $!";
    local $/;
    split /\0/, <$c>;
};
# The binary as the suite started it (the ASan pass's wrapper preloads the
# sanitizer runtime), with the running server's arguments.
$cmd[0] = Apache::Test::vars('httpd');
my $t0 = time;
system(@cmd, '-t');
my $rc = $? >> 8;
is($rc, 0, sprintf('configtest finishes (%.1f s)', time - $t0));
SKIP: {
    skip 'the configuration does not pass (a test left a bad file)', 1 if $rc;
    kill 'USR1', $pid;
    my $back = 0;
    for (1 .. 60) {
        sleep 0.25;
        $back = get_status('rev_formats', '/p/valid', cert => 'rv_list') == 403 ? 1 : 0;
        last if $back;
    }
    ok($back, 'a graceful restart finishes and the revoked device is still refused');
}
