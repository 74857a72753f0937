import './app-shell';

/** The playground page: everything lives in <ap-app> (src/ui/app-shell.ts). */
if (!document.querySelector('ap-app')) document.body.append(document.createElement('ap-app'));
